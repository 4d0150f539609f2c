import { type ClientSession, type MongoClient, type TransactionOptions, WriteConcern } from "mongodb";
import { ConcurrentUpdateError, StoreUnavailableError, type WalletError } from "../../domain/errors.js";
import { isConnectionError } from "./driverErrors.js";

/*
 * withTransaction reruns the callback on TransientTransactionError (write
 * conflicts among them: a transaction writing a document another one has
 * written but not committed fails at once) with jittered backoff, for up to
 * 120 s. A wallet's callers have deadlines far shorter than that, so the
 * attempts are bounded here; at the driver's backoff (capped at 500 ms) the
 * bound is reached after roughly 15 s of uninterrupted conflicts.
 */
const MAX_ATTEMPTS = 64;
// A lost connection is retried too, but an outage should reach the caller as UNAVAILABLE quickly.
const MAX_ATTEMPTS_DISCONNECTED = 3;

const OPTIONS: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: new WriteConcern("majority"),
  readPreference: "primary",
};

/**
 * Runs work in one multi-document transaction with a bounded number of retries.
 * work must await every operation and pass the session to each, and must let
 * driver errors propagate: the driver decides from them whether to retry.
 * A non-driver error thrown by work aborts the transaction and is rethrown as is.
 */
export async function inTransaction<T>(
  client: MongoClient,
  work: (session: ClientSession) => Promise<T>,
): Promise<T> {
  let attempts = 0;
  let lastError: unknown;
  return client.withSession((session) =>
    session.withTransaction(async (s) => {
      attempts += 1;
      // Not a MongoError, so withTransaction aborts and stops retrying.
      if (attempts > MAX_ATTEMPTS || (attempts > MAX_ATTEMPTS_DISCONNECTED && isConnectionError(lastError))) {
        throw retriesExhausted(lastError);
      }
      try {
        return await work(s);
      } catch (err) {
        lastError = err;
        throw err;
      }
    }, OPTIONS),
  );
}

function retriesExhausted(lastError: unknown): WalletError {
  if (isConnectionError(lastError))
    return new StoreUnavailableError("Store unavailable", { cause: lastError });
  return new ConcurrentUpdateError();
}
