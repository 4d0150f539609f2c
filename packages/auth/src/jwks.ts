import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { KeySetUnavailableError } from "./errors.js";

export interface JwksOptions {
  /** Age after which the key set is fetched again, in the background. */
  refreshMs: number;
  /** Per fetch. */
  timeoutMs?: number;
  /** Earliest refetch for a token whose `kid` is unknown (a key rotation). */
  unknownKidCooldownMs?: number;
  /** Earliest retry after a failed fetch. */
  retryMs?: number;
  onFetchError?: (err: unknown) => void;
}

export type LastGoodJwks = JWTVerifyGetKey & {
  /** Starts a fetch if none is running; resolves whether a key set is loaded. */
  load(): Promise<boolean>;
};

/**
 * A JWKS source that keeps serving the last key set it fetched successfully:
 * refreshes run in the background once the set is `refreshMs` old and a failed
 * refresh leaves the set in place, so an IdP outage does not turn valid tokens
 * into 401s. Only while no set was ever loaded are tokens uncheckable
 * (KeySetUnavailableError). An unknown `kid` triggers one refetch at most every
 * `unknownKidCooldownMs` (new keys appear without waiting for the refresh).
 */
export function createLastGoodJwks(url: URL, opts: JwksOptions): LastGoodJwks {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const cooldownMs = opts.unknownKidCooldownMs ?? 30_000;
  const retryMs = opts.retryMs ?? 5000;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = 0;
  let failedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<boolean> | undefined;

  const load = (): Promise<boolean> => {
    pending ??= (async () => {
      attemptedAt = Date.now();
      try {
        const res = await fetch(url, {
          headers: { accept: "application/json" },
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!res.ok) throw new Error(`JWKS fetch answered ${res.status}`);
        keys = createLocalJWKSet((await res.json()) as JSONWebKeySet);
        loadedAt = Date.now();
        return true;
      } catch (err) {
        failedAt = Date.now();
        opts.onFetchError?.(err);
        return keys !== undefined;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const now = Date.now();
    if (!keys) {
      // Answer at once while the source is known to be down instead of stalling every request.
      const retryable = now - failedAt >= retryMs || pending !== undefined;
      if (!retryable || !(await load()) || !keys) throw new KeySetUnavailableError();
    } else if (now - loadedAt >= opts.refreshMs && now - failedAt >= retryMs) {
      void load();
    }
    const current = keys;
    try {
      return await current(header, token);
    } catch (err) {
      if (
        err instanceof errors.JWKSNoMatchingKey &&
        Date.now() - attemptedAt >= cooldownMs &&
        (await load())
      ) {
        return keys(header, token);
      }
      throw err;
    }
  };
  return Object.assign(getKey, { load });
}
