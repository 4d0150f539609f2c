import { SignJWT } from "jose";
import { DEV_JWT_SECRET } from "./config.js";

/**
 * Signs an HS256 token that services configured with the same JWT_SECRET,
 * JWT_ISSUER and JWT_AUDIENCE accept (the development secret when JWT_SECRET is
 * unset); for development, the demo and tests. `scope` is space separated.
 */
export async function mintToken(
  config: { JWT_SECRET?: string; JWT_ISSUER?: string; JWT_AUDIENCE?: string },
  claims: { sub: string; email?: string; scope?: string; ttlSeconds?: number },
): Promise<string> {
  const payload: Record<string, string> = {};
  if (claims.email) payload.email = claims.email;
  if (claims.scope) payload.scope = claims.scope;
  let jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (config.JWT_ISSUER) jwt = jwt.setIssuer(config.JWT_ISSUER);
  if (config.JWT_AUDIENCE) jwt = jwt.setAudience(config.JWT_AUDIENCE);
  return jwt.sign(new TextEncoder().encode(config.JWT_SECRET ?? DEV_JWT_SECRET));
}
