/** Claims of the access JWTs SessionsService signs. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  typ: 'access';
}

export function isAccessTokenClaims(claims: unknown): claims is AccessTokenClaims {
  const candidate = claims as Partial<AccessTokenClaims> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.typ === 'access' &&
    typeof candidate.sub === 'string' &&
    typeof candidate.sid === 'string'
  );
}
