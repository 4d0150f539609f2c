import { isOwnerEmail, isOwnerId } from "@wallet/contracts";
import { errors, importSPKI, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { type AuthConfig, DEV_JWT_SECRET, usesDevJwtSecret } from "./config.js";
import { InvalidTokenError, KeySetUnavailableError } from "./errors.js";
import { createLastGoodJwks } from "./jwks.js";
import { type Principal, scopesOf } from "./principal.js";

export interface TokenVerifier {
  /** Verifies a bearer token: InvalidTokenError (401) or KeySetUnavailableError (503) when it cannot be accepted. */
  verify(token: string): Promise<Principal>;
  /** The principal of a token verified recently, without any cryptography; undefined otherwise. */
  peek(token: string): Principal | undefined;
}

export interface VerifierOptions {
  onJwksError?: (err: unknown) => void;
}

const CACHE_MAX_ENTRIES = 10_000;
// Bounds how long a key rotation or revocation can go unnoticed for a cached token.
const CACHE_MAX_AGE_MS = 60_000;

/**
 * Verifies bearer tokens with jose: algorithm allow-list (never `none`), `exp`
 * and `sub` required, `iss`/`aud` when configured, HMAC keys from JWT_SECRET
 * (the development secret only in DEV_MODE with nothing else configured) and
 * asymmetric keys from JWT_PUBLIC_KEY or JWT_JWKS_URL. Verified tokens are
 * remembered briefly (never past their `exp`) so repeat calls skip the crypto.
 * `config` must have passed checkAuthConfig.
 */
export function createTokenVerifier(config: AuthConfig, opts: VerifierOptions = {}): TokenVerifier {
  const getKey = keyResolver(config, opts);
  const options = {
    algorithms: config.JWT_ALGORITHMS,
    requiredClaims: ["exp", "sub"],
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  };
  const cache = new Map<string, { principal: Principal; until: number }>();

  const peek = (token: string): Principal | undefined => {
    const hit = cache.get(token);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.principal;
    cache.delete(token);
    return undefined;
  };

  const verify = async (token: string): Promise<Principal> => {
    const hit = peek(token);
    if (hit) return hit;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, options));
    } catch (err) {
      if (err instanceof KeySetUnavailableError) throw err;
      throw new InvalidTokenError(describe(err), { cause: err });
    }
    // The wallet's own owner-id rule: a subject it would refuse is not a usable identity here either.
    if (!isOwnerId(payload.sub)) throw new InvalidTokenError("invalid subject");
    const principal: Principal = { sub: payload.sub, scopes: scopesOf(payload) };
    // An email claim is used for notifications only: one the wallet could not store (control characters,
    // over 320 characters) is ignored, as if absent, rather than failing every wallet creation.
    if (isOwnerEmail(payload.email) && payload.email !== "") principal.email = payload.email;

    if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    const now = Date.now();
    cache.set(token, { principal, until: Math.min(now + CACHE_MAX_AGE_MS, (payload.exp as number) * 1000) });
    return principal;
  };

  return { verify, peek };
}

function keyResolver(config: AuthConfig, opts: VerifierOptions): JWTVerifyGetKey {
  const secretText = config.JWT_SECRET ?? (usesDevJwtSecret(config) ? DEV_JWT_SECRET : undefined);
  const secret = secretText === undefined ? undefined : new TextEncoder().encode(secretText);
  const jwks = config.JWT_JWKS_URL
    ? createLastGoodJwks(new URL(config.JWT_JWKS_URL), {
        refreshMs: config.JWT_JWKS_REFRESH_MS,
        onFetchError: opts.onJwksError,
      })
    : undefined;
  // Fetch at start, so the first requests do not wait for the IdP.
  void jwks?.load();
  const publicKeys = new Map<string, ReturnType<typeof importSPKI>>();
  return async (header, token) => {
    if (header.alg.startsWith("HS")) {
      if (!secret) throw new InvalidTokenError("no key for algorithm");
      return secret;
    }
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
  if (err instanceof InvalidTokenError) return err.message;
  if (err instanceof errors.JWTExpired) return "token expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `claim ${err.claim} is invalid`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "signature verification failed";
  if (err instanceof errors.JWKSNoMatchingKey) return "no matching key";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed token";
  return "token rejected";
}
