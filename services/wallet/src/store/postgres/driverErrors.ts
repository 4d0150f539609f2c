import { StoreUnavailableError } from "../../domain/errors.js";

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EPIPE",
  "EHOSTUNREACH",
]);

interface PgError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** Connection loss, server shutdown, or the pool timing out: the store is unavailable. */
export function isConnectionError(err: unknown): boolean {
  const e = err as PgError;
  if (!e || typeof e !== "object") return false;
  if (e.code && (CONNECTION_CODES.has(e.code) || e.code.startsWith("08") || e.code.startsWith("57P")))
    return true;
  const msg = e.message ?? "";
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/.test(
    msg,
  );
}

/** Deadlocks and serialization failures: safe to retry the whole transaction. */
export function isRetryable(err: unknown): boolean {
  const code = (err as PgError)?.code;
  return code === "40P01" || code === "40001";
}

export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as PgError;
  return e?.code === "23505" && e.constraint === constraint;
}

/*
 * Answers that say "not now" rather than "no": a deadlock or serialization
 * failure left over after the retries, lock_timeout (55P03) and
 * statement_timeout or a cancel (57014). Nothing was applied; the caller may
 * retry with the same idempotency key.
 */
const RETRY_LATER_CODES = new Set(["40P01", "40001", "55P03", "57014"]);

/** lock_timeout (55P03) or statement_timeout / a cancel (57014): waiting again would wait as long. */
export function isTimeout(err: unknown): boolean {
  const code = (err as PgError)?.code;
  return code === "55P03" || code === "57014";
}

export function isRetryLater(err: unknown): boolean {
  const code = (err as PgError)?.code;
  return typeof code === "string" && RETRY_LATER_CODES.has(code);
}

/** Runs fn, turning connection failures, timeouts and exhausted retries into StoreUnavailableError. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionError(err)) throw new StoreUnavailableError("Store unavailable", { cause: err });
    if (isRetryLater(err)) throw new StoreUnavailableError("Store busy, retry shortly", { cause: err });
    throw err;
  }
}

/** Retries fn on deadlock/serialization failures with jittered backoff, a bounded number of times. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * i));
    }
  }
}
