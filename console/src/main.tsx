import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiError, SSO_RETURN_PATH, ssoErrorMessage } from './api';
import { Link } from './link';
import { BASE, parseRoute, Route } from './route';
import type { Me } from './types';
import { EventView } from './views/event-view';
import { EventsView } from './views/events-view';
import { IntegrityView } from './views/integrity-view';
import { MissingPermission } from './views/missing-permission';
import { SignIn } from './views/sign-in';

const api = new Api();

/**
 * The browser's return from single sign-on (`/console/sso?code=` or `?error=`), read once: the
 * one-time code leaves the address bar (and the history) before anything else runs.
 */
function takeSsoReturn(): { code: string } | { error: string } | null {
  if (location.pathname.replace(/\/+$/, '') !== SSO_RETURN_PATH) return null;
  const params = new URLSearchParams(location.search);
  history.replaceState(null, '', BASE);
  const code = params.get('code');
  if (code) return { code };
  return { error: ssoErrorMessage(params.get('error') ?? 'no_code') };
}

const ssoReturn = takeSsoReturn();

function View({ route, me }: { route: Route; me: Me }) {
  const can = (permission: string) => me.permissions.includes(permission);
  switch (route.view) {
    case 'events':
      return can('audit:read') ? (
        <EventsView api={api} filters={route.filters} canExport={can('audit:export')} />
      ) : (
        <MissingPermission me={me} permission="audit:read" what="search the audit log" />
      );
    case 'event':
      return can('audit:read') ? (
        <EventView api={api} id={route.id} />
      ) : (
        <MissingPermission me={me} permission="audit:read" what="read audit events" />
      );
    case 'integrity':
      return can('audit:verify') ? (
        <IntegrityView api={api} from={route.from} to={route.to} canRead={can('audit:read')} />
      ) : (
        <MissingPermission me={me} permission="audit:verify" what="verify the audit chain" />
      );
  }
}

function Shell({ route, me }: { route: Route; me: Me }) {
  const current = route.view === 'integrity' ? 'integrity' : 'events';
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          Bastion <span>ops console</span>
        </div>
        <nav aria-label="Main">
          <Link href={BASE} aria-current={current === 'events' ? 'page' : undefined}>
            Events
          </Link>
          <Link
            href={`${BASE}/integrity`}
            aria-current={current === 'integrity' ? 'page' : undefined}
          >
            Integrity
          </Link>
        </nav>
        <div class="who">
          <span class="who-name" title={me.roles.join(', ')}>
            {me.user.email ?? me.user.name ?? me.user.id}
          </span>
          <button type="button" class="quiet" onClick={() => void api.logout()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View route={route} me={me} />
      </main>
    </>
  );
}

function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location));
  const [signedIn, setSignedIn] = useState(api.signedIn);
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [ssoError, setSsoError] = useState(
    ssoReturn && 'error' in ssoReturn ? ssoReturn.error : null,
  );
  const [exchanging, setExchanging] = useState(Boolean(ssoReturn && 'code' in ssoReturn));

  useEffect(() => {
    if (!ssoReturn || !('code' in ssoReturn)) return;
    api
      .exchangeSsoCode(ssoReturn.code)
      .then((result) => {
        if (result.ok) setSignedIn(true);
        else setSsoError(result.message);
      })
      .catch(() => setSsoError('The server cannot be reached.'))
      .finally(() => setExchanging(false));
  }, []);

  useEffect(() => {
    const onPopState = () => setRoute(parseRoute(location));
    window.addEventListener('popstate', onPopState);
    return () => window.removeEventListener('popstate', onPopState);
  }, []);

  useEffect(
    () =>
      api.onSignOut((reason) => {
        setSignedIn(false);
        setMe(null);
        setNotice(
          reason === 'expired'
            ? 'Your session has ended: it expired or was revoked. Sign in again.'
            : 'You have signed out.',
        );
      }),
    [],
  );

  useEffect(() => {
    if (!signedIn) return;
    api
      .me()
      .then(setMe)
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status !== 401) setNotice(error.message);
      });
  }, [signedIn]);

  if (exchanging) {
    return (
      <p class="loading" role="status">
        Signing in…
      </p>
    );
  }
  if (!signedIn) {
    return (
      <SignIn
        api={api}
        notice={notice}
        error={ssoError}
        onSignedIn={() => {
          setNotice(null);
          setSsoError(null);
          setSignedIn(true);
        }}
      />
    );
  }
  if (!me) {
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  }
  return <Shell route={route} me={me} />;
}

render(<App />, document.getElementById('app') as HTMLElement);
