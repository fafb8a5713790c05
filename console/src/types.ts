/** The API's shapes, as API.md and the OpenAPI document describe them. */

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A single sign-on provider, as GET /v1/auth/sso/providers lists it. */
export interface SsoProvider {
  id: string;
  name: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

export interface Me {
  actorType: 'user' | 'api_key';
  user: { id: string; email: string | null; name: string | null };
  roles: string[];
  permissions: string[];
}

export type Outcome = 'success' | 'denied' | 'failure';

export interface AuditEvent {
  id: string;
  seq: number | null;
  occurredAt: string;
  actor: {
    type: 'user' | 'api_key' | 'system' | 'anonymous';
    id: string | null;
    display: string | null;
  };
  action: string;
  resource: { type: string; id: string | null };
  outcome: Outcome;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes?: { before: Record<string, unknown> | null; after: Record<string, unknown> | null };
  metadata: Record<string, unknown>;
  hash: string | null;
  prevHash: string | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Verification {
  valid: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  brokenAtSeq?: number;
  anchoredThrough?: number;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  signedAt: string;
  keyId: string;
  signature: string;
}
