import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../api';
import { formatNumber, formatTime, inputFromIso, isoFromInput } from '../format';
import { Link } from '../link';
import { hrefOf, navigate } from '../route';
import type { AuditEvent, Checkpoint, Page, Verification } from '../types';
import { eventAtSeq, verifyInSlices, VerifyProgress } from '../verify';
import { messageOf } from './events-view';

const CHECKPOINTS_SHOWN = 10;

interface Break {
  event: AuditEvent | null;
  reason: string;
}

/** Why the chain breaks at `seq`, as far as the events around it tell. */
async function diagnose(api: Api, seq: number, canRead: boolean): Promise<Break> {
  if (!canRead) return { event: null, reason: 'the chain does not hold there' };
  const event = await eventAtSeq(api, seq);
  if (!event) {
    return { event: null, reason: 'no event holds this seq: it was deleted or cut off' };
  }
  if (seq > 1) {
    const previous = await eventAtSeq(api, seq - 1);
    if (!previous || previous.hash !== event.prevHash) {
      return { event, reason: 'it does not link to the event before it' };
    }
  }
  return {
    event,
    reason: 'hash mismatch: the event no longer matches its hash, or a checkpoint there fails',
  };
}

function Verdict({ result, broken }: { result: Verification; broken: Break | null }) {
  if (result.valid) {
    if (result.firstSeq === null || result.lastSeq === null) {
      return (
        <div class="verdict verdict-ok" role="status">
          <strong>Nothing to check:</strong> no sealed event lies in this range.
        </div>
      );
    }
    return (
      <div class="verdict verdict-ok" role="status">
        <strong>
          Intact from seq {formatNumber(result.firstSeq)} to {formatNumber(result.lastSeq)}
          {result.anchoredThrough !== undefined
            ? `, anchored through ${formatNumber(result.anchoredThrough)}.`
            : '.'}
        </strong>
        {result.anchoredThrough === undefined && (
          <p class="small">No anchor (a signed checkpoint kept outside the database) in range.</p>
        )}
      </div>
    );
  }
  const seq = result.brokenAtSeq ?? 0;
  return (
    <div class="verdict verdict-broken" role="alert">
      <strong>
        Broken at seq {formatNumber(seq)}
        {broken ? `: ${broken.reason}.` : '.'}
      </strong>
      {result.firstSeq !== null && seq > result.firstSeq && (
        <p class="small">
          Intact from seq {formatNumber(result.firstSeq)} to {formatNumber(seq - 1)}
          {result.anchoredThrough !== undefined
            ? `, anchored through ${formatNumber(result.anchoredThrough)}`
            : ''}
          .
        </p>
      )}
      {broken?.event && (
        <p>
          <Link href={hrefOf({ view: 'event', id: broken.event.id })} id="broken-event-link">
            Open the event at seq {formatNumber(seq)}
          </Link>
        </p>
      )}
    </div>
  );
}

function Checkpoints({ api }: { api: Api }) {
  const [checkpoints, setCheckpoints] = useState<Checkpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .json<Page<Checkpoint>>(`/v1/audit-checkpoints?limit=${CHECKPOINTS_SHOWN}`)
      .then((page) => setCheckpoints(page.data))
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, []);
  return (
    <section class="panel" aria-labelledby="checkpoints-title">
      <h2 id="checkpoints-title">Latest signed checkpoints</h2>
      <p class="muted small">
        Each vouches, with an Ed25519 signature, for the hash of the chain at its seq.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {checkpoints?.length === 0 && <p class="empty">No checkpoint signed yet.</p>}
      {checkpoints && checkpoints.length > 0 && (
        <div class="table-wrap">
          <table class="events">
            <caption class="visually-hidden">Signed checkpoints, newest first</caption>
            <thead>
              <tr>
                <th scope="col" class="num">
                  Seq
                </th>
                <th scope="col">Signed at (UTC)</th>
                <th scope="col">Chain hash</th>
                <th scope="col">Key id</th>
              </tr>
            </thead>
            <tbody>
              {checkpoints.map((checkpoint) => (
                <tr key={checkpoint.seq}>
                  <td class="num">{formatNumber(checkpoint.seq)}</td>
                  <td class="mono nowrap">{formatTime(checkpoint.signedAt)}</td>
                  <td class="mono" title={checkpoint.hash}>
                    {checkpoint.hash.slice(0, 16)}…
                  </td>
                  <td class="mono" title={checkpoint.keyId}>
                    {checkpoint.keyId.slice(0, 16)}…
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function IntegrityView(props: { api: Api; from?: string; to?: string; canRead: boolean }) {
  const [from, setFrom] = useState(props.from);
  const [to, setTo] = useState(props.to);
  const [progress, setProgress] = useState<VerifyProgress | null>(null);
  const [result, setResult] = useState<Verification | null>(null);
  const [broken, setBroken] = useState<Break | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = progress !== null && result === null && error === null;

  useEffect(() => {
    document.title = 'Integrity · Bastion ops console';
  }, []);
  useEffect(() => {
    setFrom(props.from);
    setTo(props.to);
  }, [props.from, props.to]);

  async function run(range: { from?: string; to?: string }) {
    navigate(hrefOf({ view: 'integrity', ...range }), true);
    setResult(null);
    setBroken(null);
    setError(null);
    setProgress({ done: 0, total: 1, throughSeq: null });
    try {
      const verdict = await verifyInSlices(props.api, range, props.canRead, setProgress);
      if (!verdict.valid && verdict.brokenAtSeq !== undefined) {
        setBroken(await diagnose(props.api, verdict.brokenAtSeq, props.canRead));
      }
      setResult(verdict);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <>
      <div class="page-head">
        <h1>Integrity</h1>
        <p class="muted small">
          Recomputes the hash chain and checks it against the signed checkpoints and anchors.
        </p>
      </div>
      <form
        class="panel verify-form"
        aria-label="Verify the chain"
        onSubmit={(event) => {
          event.preventDefault();
          void run({ from, to });
        }}
      >
        <div class="field">
          <label for="verify-from">From (UTC)</label>
          <input
            id="verify-from"
            type="datetime-local"
            step={1}
            value={inputFromIso(from)}
            onChange={(event) => setFrom(isoFromInput(event.currentTarget.value))}
          />
        </div>
        <div class="field">
          <label for="verify-to">To (UTC)</label>
          <input
            id="verify-to"
            type="datetime-local"
            step={1}
            value={inputFromIso(to)}
            onChange={(event) => setTo(isoFromInput(event.currentTarget.value))}
          />
        </div>
        <div class="verify-actions">
          <button type="submit" disabled={running || (!from && !to)}>
            Verify range
          </button>
          <button
            type="button"
            class="primary"
            disabled={running}
            onClick={() => {
              setFrom(undefined);
              setTo(undefined);
              void run({});
            }}
          >
            Verify all
          </button>
        </div>
      </form>
      {progress && (
        <section class="panel" aria-labelledby="verify-title">
          <h2 id="verify-title">Verification</h2>
          <div class="progress-row">
            <progress
              value={progress.done}
              max={progress.total}
              aria-label="Verification progress"
            />
            <span class="small" role="status">
              {result && !result.valid
                ? `Stopped at the first break, in step ${progress.done} of ${progress.total}`
                : `${progress.done} of ${progress.total} ${progress.total === 1 ? 'step' : 'steps'}`}
              {progress.throughSeq !== null && !(result && !result.valid)
                ? ` · checked through seq ${formatNumber(progress.throughSeq)}`
                : ''}
            </span>
          </div>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          {result && <Verdict result={result} broken={broken} />}
        </section>
      )}
      <Checkpoints api={props.api} />
    </>
  );
}
