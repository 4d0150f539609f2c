import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { MAX_AMOUNT } from "../../domain/limits.js";
import type { BalanceChange, MutationResult } from "../../domain/model.js";
import { changeBalance } from "./balanceChange.js";
import { isConnectionError } from "./driverErrors.js";
import { TRANSACTION_COLUMNS, type TransactionRow, toOutboxEvent } from "./rows.js";

/*
 * Group commit for credits: the credits that arrive while earlier statements are running go
 * to PostgreSQL together as one statement and one commit (one WAL flush), instead of one
 * each. Each wallet is updated once by the sum of its credits; every credit still gets its
 * own transaction row (with its running balance and version, in arrival order), its own
 * idempotency key and its own outbox row, all in the same atomic statement.
 *
 * Batches form by themselves, without a timer: a credit that finds fewer than
 * `maxInFlight` statements running goes at once (alone, on the single-credit path); the
 * ones that arrive meanwhile queue and leave together when a statement finishes.
 *
 * Anything unusual falls back to the single-credit path, per credit, which gives each its
 * exact answer: a repeated idempotency key anywhere in the batch (the unique index aborts
 * the whole statement, so nothing of it applies), a wallet that is missing or not the
 * owner's, a balance that would pass the maximum, a deadlock. A failing credit therefore
 * fails alone, and a replay is answered exactly as without batching.
 */
const BATCH_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[],
                         $7::text[], $8::uuid[], $9::text[], $10::int[])
      AS i(wallet_id, owner_id, amount, tx_id, idempotency_key, fingerprint, metadata, event_id, request_id, ord)
  ), locked AS MATERIALIZED (
    -- Row locks in id order: concurrent batches and transfers (which lock in id order too)
    -- never wait on each other in a cycle.
    SELECT w.id FROM wallets w WHERE w.id IN (SELECT wallet_id FROM input) ORDER BY w.id FOR UPDATE
  ), sums AS (
    SELECT wallet_id, owner_id, sum(amount) AS total, count(*) AS n FROM input GROUP BY wallet_id, owner_id
  ), w AS (
    UPDATE wallets SET balance = balance + s.total, version = version + s.n, updated_at = now()
    FROM sums s JOIN locked l ON l.id = s.wallet_id
    WHERE wallets.id = s.wallet_id AND wallets.owner_id = s.owner_id AND wallets.balance + s.total <= ${MAX_AMOUNT}
    RETURNING wallets.id, wallets.owner_email, wallets.currency, wallets.balance - s.total AS balance_before,
              wallets.version - s.n AS version_before
  ), numbered AS (
    SELECT i.*, w.currency, w.owner_email,
           w.balance_before + sum(i.amount) OVER (PARTITION BY i.wallet_id ORDER BY i.ord) AS balance_after,
           w.version_before + row_number() OVER (PARTITION BY i.wallet_id ORDER BY i.ord) AS wallet_version
    FROM input i JOIN w ON w.id = i.wallet_id
  ), t AS (
    INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                              idempotency_key, fingerprint, metadata)
    SELECT tx_id, wallet_id, owner_id, 'CREDIT', amount, currency, balance_after, wallet_version,
           idempotency_key, fingerprint, metadata::jsonb FROM numbered
    RETURNING ${TRANSACTION_COLUMNS}
  ), o AS (
    INSERT INTO outbox (event_id, transaction_id, request_id, owner_email)
    SELECT n.event_id, t.id, n.request_id, n.owner_email FROM t JOIN numbered n ON n.tx_id = t.id
  )
  SELECT t.*, n.owner_email, n.event_id, n.request_id, n.ord FROM t JOIN numbered n ON n.tx_id = t.id`;

type BatchRow = TransactionRow & { owner_email: string; event_id: string; request_id: string; ord: number };

interface Pending {
  change: BalanceChange;
  resolve(result: MutationResult): void;
  reject(err: unknown): void;
}

export class CreditBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  /** Statements of more than one credit sent so far, and the credits they carried. */
  readonly stats = { batches: 0, batchedCredits: 0 };

  /**
   * @param maxInFlight statements running at once; the rest of the credits wait and batch.
   * @param maxBatch credits in one statement at most.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 256,
  ) {}

  credit(change: BalanceChange): Promise<MutationResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.single(batch[0]);
    this.stats.batches += 1;
    this.stats.batchedCredits += batch.length;
    let rows: BatchRow[];
    try {
      rows = (
        await this.pool.query<BatchRow>({
          name: "wallet_credit_batch",
          text: BATCH_SQL,
          values: params(batch),
        })
      ).rows;
    } catch (err) {
      if (isConnectionError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // A repeated key, a deadlock: nothing of the statement applied; each credit alone.
      await Promise.all(batch.map((p) => this.single(p)));
      return;
    }
    const applied = new Map(rows.map((r) => [Number(r.ord), r]));
    await Promise.all(
      batch.map((p, ord) => {
        const row = applied.get(ord);
        if (!row) return this.single(p);
        const event = toOutboxEvent(row);
        p.resolve({ transaction: event.transaction, replayed: false, events: [event] });
        return undefined;
      }),
    );
  }

  private async single(p: Pending): Promise<void> {
    try {
      p.resolve(await changeBalance(this.pool, "CREDIT", p.change));
    } catch (err) {
      p.reject(err);
    }
  }
}

function params(batch: Pending[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => []);
  batch.forEach(({ change }, ord) => {
    const values = [
      change.walletId,
      change.ownerId,
      change.amount.toString(),
      uuidv7(),
      change.idempotencyKey,
      change.fingerprint,
      JSON.stringify(change.metadata),
      uuidv7(),
      change.requestId,
      ord,
    ];
    for (const [i, v] of values.entries()) columns[i].push(v);
  });
  return columns;
}
