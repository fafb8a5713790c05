import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api';
import { formatNumber, formatTime } from '../format';
import { Link } from '../link';
import { hrefOf } from '../route';
import type { AuditEvent } from '../types';
import { ChangesDiff } from './changes-diff';
import { listHref, messageOf } from './events-view';
import { OutcomeBadge } from './outcome-badge';

function Field(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="field-row">
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function orNone(value: string | null) {
  return value ?? <span class="muted">none</span>;
}

export function EventView(props: { api: Api; id: string }) {
  const [event, setEvent] = useState<AuditEvent | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEvent(null);
    setError(null);
    props.api
      .json<AuditEvent>(`/v1/audit-events/${props.id}`)
      .then((found) => {
        setEvent(found);
        document.title = `${found.action} · Bastion ops console`;
      })
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, [props.id]);

  const back = (
    <Link href={listHref()} class="back">
      ← Back to events
    </Link>
  );
  if (error) {
    return (
      <>
        {back}
        <p class="error" role="alert">
          {error}
        </p>
      </>
    );
  }
  if (!event) {
    return (
      <p class="loading" role="status">
        Loading event…
      </p>
    );
  }
  const { actor, resource } = event;
  const metadata = Object.keys(event.metadata).length > 0 ? event.metadata : null;
  return (
    <>
      {back}
      <div class="page-head">
        <h1 class="mono-title">{event.action}</h1>
        <OutcomeBadge outcome={event.outcome} />
        <p class="muted small">{formatTime(event.occurredAt)} UTC</p>
      </div>
      <div class="detail-grid">
        <section class="panel" aria-labelledby="who-title">
          <h2 id="who-title">Who, what, where</h2>
          <dl class="fields">
            <Field label="Actor">
              {actor.id ? (
                <Link
                  href={hrefOf({ view: 'events', filters: { actorId: actor.id } })}
                  id="actor-link"
                >
                  {actor.display ?? actor.id}
                </Link>
              ) : (
                (actor.display ?? <span class="muted">none</span>)
              )}
              <span class="muted small"> ({actor.type})</span>
            </Field>
            <Field label="Actor id">
              <span class="mono">{orNone(actor.id)}</span>
            </Field>
            <Field label="Resource">
              {resource.id ? (
                <Link
                  href={hrefOf({
                    view: 'events',
                    filters: { resourceType: resource.type, resourceId: resource.id },
                  })}
                  id="resource-link"
                >
                  {resource.type} <span class="mono">{resource.id}</span>
                </Link>
              ) : (
                <Link
                  href={hrefOf({ view: 'events', filters: { resourceType: resource.type } })}
                  id="resource-link"
                >
                  {resource.type}
                </Link>
              )}
            </Field>
            <Field label="Outcome">{event.outcome}</Field>
            <Field label="Occurred at">
              <span class="mono">{event.occurredAt}</span>
            </Field>
            <Field label="Request id">
              {event.requestId ? (
                <Link
                  href={hrefOf({ view: 'events', filters: { requestId: event.requestId } })}
                  class="mono"
                  id="request-link"
                >
                  {event.requestId}
                </Link>
              ) : (
                orNone(null)
              )}
            </Field>
            <Field label="IP">
              <span class="mono">{orNone(event.ip)}</span>
            </Field>
            <Field label="User agent">{orNone(event.userAgent)}</Field>
          </dl>
        </section>
        <section class="panel" aria-labelledby="chain-title">
          <h2 id="chain-title">Place in the chain</h2>
          <dl class="fields">
            <Field label="Event id">
              <span class="mono">{event.id}</span>
            </Field>
            <Field label="Seq">
              {event.seq === null ? (
                <span class="muted">not sealed yet</span>
              ) : (
                formatNumber(event.seq)
              )}
            </Field>
            <Field label="Hash">
              <span class="mono hash">{orNone(event.hash)}</span>
            </Field>
            <Field label="Previous hash">
              <span class="mono hash">{orNone(event.prevHash)}</span>
            </Field>
          </dl>
        </section>
      </div>
      <section class="panel" aria-labelledby="changes-title">
        <h2 id="changes-title">Changes</h2>
        {event.changes ? (
          <ChangesDiff changes={event.changes} />
        ) : (
          <p class="muted">This event records no before and after.</p>
        )}
      </section>
      <section class="panel" aria-labelledby="metadata-title">
        <h2 id="metadata-title">Metadata</h2>
        {metadata ? (
          <pre class="json">{JSON.stringify(metadata, null, 2)}</pre>
        ) : (
          <p class="muted">None.</p>
        )}
      </section>
    </>
  );
}
