import { type ClientSession, type TransactionOptions, WriteConcern } from "mongodb";
import { CallAbortedError, StoreUnavailableError, type WalletError } from "../../domain/errors.js";
import type { Collections } from "./documents.js";
import { isConnectionError } from "./driverErrors.js";

/*
 * withTransaction reruns the callback on TransientTransactionError (write
 * conflicts among them: a transaction writing a document another one has
 * written but not committed fails at once) with jittered backoff, for up to
 * 120 s. A wallet's callers have deadlines far shorter than that, so the
 * retries are bounded here, by count and by time: driver 7 has no client-side
 * operation timeout (its `timeoutMS` is deprecated and has no effect), so the
 * budget is checked before every attempt, and the commit carries
 * maxCommitTimeMS. Running out is UNAVAILABLE (nothing was applied, retry),
 * never CONCURRENT_UPDATE, which only a stale expectedVersion earns.
 */
const MAX_ATTEMPTS = 64;
// A lost connection is retried too, but an outage should reach the caller as UNAVAILABLE quickly.
const MAX_ATTEMPTS_DISCONNECTED = 3;

const OPTIONS: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: new WriteConcern("majority"),
  // Transactions read from the primary whatever the URL's readPreference says.
  readPreference: "primary",
};

/**
 * Runs work in one multi-document transaction with a bounded number of retries.
 * work must await every operation and pass the session to each, and must let
 * driver errors propagate: the driver decides from them whether to retry.
 * A non-driver error thrown by work aborts the transaction and is rethrown as is.
 */
export async function inTransaction<T>(
  { client, budgetMs }: Pick<Collections, "client" | "budgetMs">,
  work: (session: ClientSession) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  let attempts = 0;
  let lastError: unknown;
  const deadline = budgetMs > 0 ? Date.now() + budgetMs : Number.POSITIVE_INFINITY;
  const options: TransactionOptions = budgetMs > 0 ? { ...OPTIONS, maxCommitTimeMS: budgetMs } : OPTIONS;
  return client.withSession((session) =>
    session.withTransaction(async (s) => {
      attempts += 1;
      // Not a MongoError, so withTransaction aborts and stops retrying.
      if (signal?.aborted) throw new CallAbortedError();
      if (
        attempts > MAX_ATTEMPTS ||
        (attempts > 1 && Date.now() >= deadline) ||
        (attempts > MAX_ATTEMPTS_DISCONNECTED && isConnectionError(lastError))
      ) {
        throw retriesExhausted(lastError);
      }
      try {
        return await work(s);
      } catch (err) {
        lastError = err;
        throw err;
      }
    }, options),
  );
}

function retriesExhausted(lastError: unknown): WalletError {
  if (isConnectionError(lastError))
    return new StoreUnavailableError("Store unavailable", { cause: lastError });
  return new StoreUnavailableError("Store busy, retry shortly", { cause: lastError });
}
