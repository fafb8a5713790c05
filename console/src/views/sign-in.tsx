import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, ssoStartUrl } from '../api';
import type { SsoProvider } from '../types';

export function SignIn(props: {
  api: Api;
  notice: string | null;
  /** Why the last single sign-on did not sign in, shown until the next attempt. */
  error: string | null;
  onSignedIn: () => void;
}) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [askOtp, setAskOtp] = useState(false);
  const [message, setMessage] = useState<string | null>(props.error);
  const [providers, setProviders] = useState<SsoProvider[]>([]);
  const [busy, setBusy] = useState(false);
  const otpField = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Bastion ops console';
  }, []);

  useEffect(() => {
    void props.api.ssoProviders().then(setProviders);
  }, [props.api]);

  useEffect(() => {
    if (askOtp) otpField.current?.focus();
  }, [askOtp]);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      const result = await props.api.login(email, password, askOtp ? otp : undefined);
      if (result.ok) {
        props.onSignedIn();
        return;
      }
      setAskOtp(result.mfaRequired);
      setOtp('');
      setMessage(result.message);
    } catch {
      setMessage('The server cannot be reached.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <form class="panel" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
        <div class="brand brand-large">
          Bastion <span>ops console</span>
        </div>
        <h1 id="sign-in-title">Sign in</h1>
        {props.notice && !message && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          readOnly={askOtp}
          onInput={(event) => setEmail(event.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          readOnly={askOtp}
          onInput={(event) => setPassword(event.currentTarget.value)}
        />
        {askOtp && (
          <>
            <label for="otp">One-time code</label>
            <input
              id="otp"
              ref={otpField}
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              aria-describedby="otp-help"
              value={otp}
              onInput={(event) => setOtp(event.currentTarget.value.trim())}
            />
            <p id="otp-help" class="help">
              Six digits from your authenticator app.
            </p>
          </>
        )}
        {message && (
          <p class="error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : askOtp ? 'Verify code' : 'Sign in'}
        </button>
        {askOtp && (
          <button
            type="button"
            class="quiet"
            onClick={() => {
              setAskOtp(false);
              setMessage(null);
            }}
          >
            Use another account
          </button>
        )}
        {providers.length > 0 && !askOtp && (
          <div class="sso" role="group" aria-label="Single sign-on">
            <p class="sso-or">or</p>
            {providers.map((provider) => (
              <a key={provider.id} class="sso-link" href={ssoStartUrl(provider, location.origin)}>
                Sign in with {provider.name}
              </a>
            ))}
          </div>
        )}
      </form>
    </main>
  );
}
