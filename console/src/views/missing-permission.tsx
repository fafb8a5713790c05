import type { Me } from '../types';

export function MissingPermission(props: { me: Me; permission: string; what: string }) {
  const who = props.me.user.email ?? props.me.user.id;
  return (
    <section class="panel notice-panel" aria-labelledby="missing-title">
      <h1 id="missing-title">Permission needed</h1>
      <p>
        You are signed in as <strong>{who}</strong>, whose roles (
        {props.me.roles.join(', ') || 'none'}) do not grant <code>{props.permission}</code>, the
        permission needed to {props.what}.
      </p>
      <p>Ask an administrator for a role that grants it: the built-in auditor role does.</p>
    </section>
  );
}
