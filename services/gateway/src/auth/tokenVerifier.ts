import { isOwnerEmail, isOwnerId } from "@wallet/contracts";
import {
  createRemoteJWKSet,
  errors,
  importSPKI,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { DEV_JWT_SECRET, type GatewayConfig } from "../config.js";

/** Who is calling: the JWT subject (the wallet owner) and, when present, their email. */
export interface Principal {
  sub: string;
  email?: string;
}

/** A token that was rejected; `reason` goes into WWW-Authenticate, never the cause's details. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

export type TokenVerifier = (token: string) => Promise<Principal>;

const CACHE_MAX_ENTRIES = 10_000;
// Bounds how long a key rotation or revocation can go unnoticed for a cached token.
const CACHE_MAX_AGE_MS = 60_000;

/**
 * Verifies bearer tokens with jose: algorithm allow-list (never `none`), `exp`
 * required, `iss`/`aud` when configured, HMAC keys from JWT_SECRET and
 * asymmetric keys from JWT_PUBLIC_KEY or JWT_JWKS_URL. Verified tokens are
 * remembered briefly (never past their `exp`) so repeat calls skip the crypto.
 */
export function createTokenVerifier(config: GatewayConfig): TokenVerifier {
  const getKey = keyResolver(config);
  const options = {
    algorithms: config.JWT_ALGORITHMS,
    requiredClaims: ["exp", "sub"],
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  };
  const cache = new Map<string, { principal: Principal; until: number }>();

  return async (token) => {
    const now = Date.now();
    const hit = cache.get(token);
    if (hit && hit.until > now) return hit.principal;
    if (hit) cache.delete(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, options));
    } catch (err) {
      throw new InvalidTokenError(describe(err), { cause: err });
    }
    // The wallet's own owner-id rule: a subject it would refuse is not a usable identity here either.
    if (!isOwnerId(payload.sub)) throw new InvalidTokenError("invalid subject");
    const principal: Principal = { sub: payload.sub };
    // An email claim is used for notifications only: one the wallet could not store (control characters,
    // over 320 characters) is ignored, as if absent, rather than failing every wallet creation.
    if (isOwnerEmail(payload.email) && payload.email !== "") principal.email = payload.email;

    if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(token, { principal, until: Math.min(now + CACHE_MAX_AGE_MS, (payload.exp as number) * 1000) });
    return principal;
  };
}

function keyResolver(config: GatewayConfig): JWTVerifyGetKey {
  const secret = new TextEncoder().encode(config.JWT_SECRET ?? DEV_JWT_SECRET);
  const jwks = config.JWT_JWKS_URL ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL)) : undefined;
  const publicKeys = new Map<string, ReturnType<typeof importSPKI>>();
  return async (header, token) => {
    if (header.alg.startsWith("HS")) return secret;
    if (config.JWT_PUBLIC_KEY) {
      let key = publicKeys.get(header.alg);
      if (!key) {
        key = importSPKI(config.JWT_PUBLIC_KEY, header.alg);
        publicKeys.set(header.alg, key);
      }
      return key;
    }
    if (jwks) return jwks(header, token);
    throw new InvalidTokenError("no key for algorithm");
  };
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "token expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} is invalid`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature verification failed";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed token";
  return "token rejected";
}
