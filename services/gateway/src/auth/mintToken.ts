import { SignJWT } from "jose";
import { DEV_JWT_SECRET, type GatewayConfig } from "../config.js";

/**
 * Signs an HS256 token the gateway accepts (JWT_SECRET, JWT_ISSUER and
 * JWT_AUDIENCE from `config`); for development and tests.
 */
export async function mintToken(
  config: Partial<Pick<GatewayConfig, "JWT_SECRET" | "JWT_ISSUER" | "JWT_AUDIENCE">>,
  claims: { sub: string; email?: string; ttlSeconds?: number },
): Promise<string> {
  let jwt = new SignJWT(claims.email ? { email: claims.email } : {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`);
  if (config.JWT_ISSUER) jwt = jwt.setIssuer(config.JWT_ISSUER);
  if (config.JWT_AUDIENCE) jwt = jwt.setAudience(config.JWT_AUDIENCE);
  return jwt.sign(new TextEncoder().encode(config.JWT_SECRET ?? DEV_JWT_SECRET));
}
