import pg from "pg";
import { CallAbortedError } from "../../domain/errors.js";
import { isConnectionError } from "./driverErrors.js";

export interface WorkControl {
  /** Throws CallAbortedError if the caller has gone; afterwards an abort no longer interrupts (the commit runs). */
  beginCommit(): void;
}

/**
 * Runs work on one pooled connection. When `signal` aborts before work reaches
 * its commit, the statement the connection is running (a lock wait, say) is
 * cancelled through a separate connection, and the connection is discarded
 * rather than returned to the pool: the server rolls back and frees the
 * transaction's row locks at once instead of holding them until the work
 * would have finished. Single autocommit statements are atomic either way:
 * cancelled means not applied.
 */
export async function onConnection<T>(
  pool: pg.Pool,
  cancelUrl: string,
  signal: AbortSignal | undefined,
  work: (client: pg.PoolClient, control: WorkControl) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new CallAbortedError();
  const client = await pool.connect();
  let committing = false;
  let aborted = false;
  let broken = false;
  const onAbort = () => {
    if (committing) return;
    aborted = true;
    void cancelBackend(cancelUrl, (client as unknown as { processID: number }).processID);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  try {
    return await work(client, {
      beginCommit() {
        if (aborted) throw new CallAbortedError();
        committing = true;
      },
    });
  } catch (err) {
    broken = isConnectionError(err);
    throw aborted && !broken ? new CallAbortedError() : err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // A discarded connection ends its session: whatever it still held is rolled back by the server.
    client.release(aborted || broken);
  }
}

async function cancelBackend(url: string, pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  admin.on("error", () => {});
  try {
    await admin.connect();
    await admin.query("SELECT pg_cancel_backend($1)", [pid]);
  } catch {
    // Best effort: the discarded connection ends the session anyway once the server notices.
  } finally {
    await admin.end().catch(() => {});
  }
}
