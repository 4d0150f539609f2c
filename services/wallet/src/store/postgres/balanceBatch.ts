import { MAX_AMOUNT } from "@wallet/contracts";
import type pg from "pg";
import type { BalanceChange, MutationResult } from "../../domain/model.js";
import { changeBalance, changeParams } from "./balanceChange.js";
import { columns, GroupCommit } from "./groupCommit.js";
import { TRANSACTION_COLUMNS, type TransactionRow, toOutboxEvent } from "./rows.js";

/*
 * Group commit (see groupCommit.ts) for credits and debits. Each wallet is locked (in id
 * order) and updated once by the sum of the changes that fit; every change still gets its own
 * transaction row (with its running balance and version, in arrival order), its own
 * idempotency key and its own outbox row, all in the same atomic statement.
 *
 * Funds are checked per change, in order: a debit fits while the wallet's available funds
 * (balance minus what its pending holds reserve) minus the running sum of the batch's
 * debits on it stay ≥ 0 (a credit, while the balance plus the running sum stays ≤ the
 * maximum). The running sum only grows, so the changes that fit are
 * a prefix of each wallet's changes, exactly those that would have succeeded one by one.
 *
 * Anything else goes the single-change path, per change, which gives each its exact answer:
 * a change that did not fit or whose wallet is missing or not the owner's, a repeated
 * idempotency key anywhere in the batch (the unique index aborts the whole statement, so
 * nothing of it applies), a deadlock. A replay is answered exactly as without batching.
 */
function batchSql(kind: "CREDIT" | "DEBIT"): string {
  const sign = kind === "CREDIT" ? "+" : "-";
  const fits =
    kind === "CREDIT" ? `n.balance + n.running <= ${MAX_AMOUNT}` : "n.balance - n.held - n.running >= 0";
  return `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[],
                         $7::text[], $8::uuid[], $9::bigint[], $10::text[], $11::int[])
      AS i(wallet_id, owner_id, amount, tx_id, idempotency_key, fingerprint, metadata, event_id, expected_version,
           request_id, ord)
  ), locked AS MATERIALIZED (
    -- Row locks in id order, so concurrent batches and transfers (which lock in id order too)
    -- never wait on each other in a cycle; the rows read are the latest committed ones.
    SELECT id, owner_id, owner_email, currency, balance, held, version FROM wallets
    WHERE id IN (SELECT wallet_id FROM input) ORDER BY id FOR UPDATE
  ), numbered AS (
    SELECT i.*, l.owner_email, l.currency, l.balance, l.held, l.version,
           sum(i.amount) OVER (PARTITION BY i.wallet_id ORDER BY i.ord) AS running
    FROM input i JOIN locked l ON l.id = i.wallet_id AND l.owner_id = i.owner_id
  ), fit AS (
    SELECT n.*, row_number() OVER (PARTITION BY n.wallet_id ORDER BY n.ord) AS k
    FROM numbered n WHERE ${fits}
  ), sums AS (
    SELECT wallet_id, sum(amount) AS total, count(*) AS n FROM fit GROUP BY wallet_id
  ), w AS (
    UPDATE wallets SET balance = balance ${sign} s.total, version = version + s.n, updated_at = now()
    FROM sums s WHERE wallets.id = s.wallet_id
  ), t AS (
    INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                              idempotency_key, fingerprint, metadata)
    SELECT tx_id, wallet_id, owner_id, '${kind}', amount, currency, balance ${sign} running, version + k,
           idempotency_key, fingerprint, metadata::jsonb FROM fit
    RETURNING ${TRANSACTION_COLUMNS}
  ), o AS (
    INSERT INTO outbox (event_id, transaction_id, request_id, owner_email)
    SELECT f.event_id, t.id, f.request_id, f.owner_email FROM t JOIN fit f ON f.tx_id = t.id
  )
  SELECT t.*, f.owner_email, f.event_id, f.request_id, f.ord FROM t JOIN fit f ON f.tx_id = t.id`;
}

const STATEMENTS = {
  CREDIT: { name: "wallet_credit_batch", text: batchSql("CREDIT") },
  DEBIT: { name: "wallet_debit_batch", text: batchSql("DEBIT") },
};

type BatchRow = TransactionRow & { owner_email: string; event_id: string; request_id: string; ord: number };

/** Groups concurrent changes of one kind (credits, or debits without expectedVersion) into one statement. */
export class BalanceBatcher extends GroupCommit<BalanceChange, MutationResult> {
  constructor(
    private readonly pool: pg.Pool,
    private readonly kind: "CREDIT" | "DEBIT",
    maxInFlight = 2,
    maxBatch = 256,
  ) {
    super(maxInFlight, maxBatch);
  }

  protected async applyBatch(changes: BalanceChange[]): Promise<Map<number, MutationResult>> {
    // The parameters of the single-change statement (see changeParams), plus each change's position.
    const values = columns(changes.map((change, ord) => [...changeParams(change), ord]));
    const { rows } = await this.pool.query<BatchRow>({ ...STATEMENTS[this.kind], values });
    return new Map(
      rows.map((row) => {
        const event = toOutboxEvent(row);
        return [Number(row.ord), { transaction: event.transaction, replayed: false, events: [event] }];
      }),
    );
  }

  protected applyOne(change: BalanceChange): Promise<MutationResult> {
    return changeBalance(this.pool, this.kind, change);
  }
}
