import { MAX_AMOUNT } from "@wallet/contracts";
import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import type { TransferChange, TransferResult } from "../../domain/model.js";
import { columns, GroupCommit } from "./groupCommit.js";
import { TRANSACTION_COLUMNS, type TransactionRow, toOutboxEvent } from "./rows.js";
import { transfer } from "./transfer.js";

/*
 * Group commit (see groupCommit.ts) for transfers. Every wallet any transfer of the batch
 * touches is locked once, in id order (as single transfers and credit batches lock), and
 * updated once by the net of the batch's legs on it; every transfer still gets its two
 * transaction rows (running balance and version per wallet, in arrival order), its
 * idempotency key and its two outbox rows, all in the same atomic statement.
 *
 * Each transfer is checked as if the batch's earlier transfers had applied one by one: its
 * source must exist and be the owner's, its destination must exist in the same currency, the
 * source's available funds (balance minus what pending holds reserve, after the earlier legs
 * on it, money received included) must cover it, and the destination must stay within the
 * maximum. The batch applies the transfers before the first one that fails a check: exactly
 * what one-by-one application would have applied up to there. That one and all after it go
 * the single-transfer path, which gives each its exact answer.
 *
 * A transfer whose idempotency key is already taken (a replay or a reuse), or taken by an
 * earlier transfer of the same batch, stays out of the batch and is answered by the single
 * path after the batch has committed.
 */
const TRANSFER_BATCH_SQL = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::uuid[], $7::uuid[],
                         $8::text[], $9::text[], $10::text[], $11::uuid[], $12::uuid[], $13::text[], $14::int[])
      AS i(from_id, to_id, owner_id, amount, transfer_id, out_id, in_id, idempotency_key, fingerprint, metadata,
           out_event, in_event, request_id, ord)
  ), locked AS MATERIALIZED (
    SELECT id, owner_id, owner_email, currency, balance, held, version FROM wallets
    WHERE id IN (SELECT from_id FROM input UNION SELECT to_id FROM input) ORDER BY id FOR UPDATE
  ), fresh AS (
    SELECT i.* FROM input i
    WHERE NOT EXISTS (SELECT 1 FROM transactions t
                      WHERE t.owner_id = i.owner_id AND t.idempotency_key = i.idempotency_key)
      AND NOT EXISTS (SELECT 1 FROM input j
                      WHERE j.owner_id = i.owner_id AND j.idempotency_key = i.idempotency_key AND j.ord < i.ord)
  ), legs AS (
    SELECT ord, 0 AS leg, from_id AS wallet_id, -amount AS delta FROM fresh
    UNION ALL
    SELECT ord, 1, to_id, amount FROM fresh
  ), numbered AS (
    SELECT g.ord, g.leg, g.wallet_id, g.delta, l.held,
           l.balance + sum(g.delta) OVER w AS balance_after, l.version + row_number() OVER w AS wallet_version
    FROM legs g JOIN locked l ON l.id = g.wallet_id
    WINDOW w AS (PARTITION BY g.wallet_id ORDER BY g.ord, g.leg)
  ), refused AS (
    SELECT min(ord) AS ord FROM (
      SELECT f.ord FROM fresh f
        LEFT JOIN locked s ON s.id = f.from_id AND s.owner_id = f.owner_id
        LEFT JOIN locked d ON d.id = f.to_id
      WHERE s.id IS NULL OR d.id IS NULL OR s.currency <> d.currency
      UNION ALL
      SELECT ord FROM numbered
      WHERE (leg = 0 AND balance_after - held < 0) OR (leg = 1 AND balance_after > ${MAX_AMOUNT})
    ) failing
  ), fit AS (
    SELECT n.ord, n.leg, n.wallet_id, n.delta, n.balance_after, n.wallet_version, l.owner_id, l.owner_email, l.currency,
           i.amount, i.transfer_id, i.metadata, i.request_id,
           CASE WHEN n.leg = 0 THEN i.out_id ELSE i.in_id END AS tx_id,
           CASE WHEN n.leg = 0 THEN i.out_event ELSE i.in_event END AS event_id,
           CASE WHEN n.leg = 0 THEN i.to_id ELSE i.from_id END AS counterparty_id,
           CASE WHEN n.leg = 0 THEN i.idempotency_key END AS idempotency_key,
           CASE WHEN n.leg = 0 THEN i.fingerprint END AS fingerprint
    FROM numbered n JOIN input i ON i.ord = n.ord JOIN locked l ON l.id = n.wallet_id, refused r
    WHERE r.ord IS NULL OR n.ord < r.ord
  ), sums AS (
    SELECT wallet_id, sum(delta) AS total, count(*) AS n FROM fit GROUP BY wallet_id
  ), w AS (
    UPDATE wallets SET balance = balance + s.total, version = version + s.n, updated_at = now()
    FROM sums s WHERE wallets.id = s.wallet_id
  ), t AS (
    INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                              transfer_id, counterparty_wallet_id, idempotency_key, fingerprint, metadata)
    SELECT tx_id, wallet_id, owner_id, CASE WHEN leg = 0 THEN 'TRANSFER_OUT' ELSE 'TRANSFER_IN' END, amount,
           currency, balance_after, wallet_version, transfer_id, counterparty_id, idempotency_key, fingerprint,
           metadata::jsonb
    FROM fit
    RETURNING ${TRANSACTION_COLUMNS}
  ), o AS (
    INSERT INTO outbox (event_id, transaction_id, request_id, owner_email)
    SELECT f.event_id, t.id, f.request_id, f.owner_email FROM t JOIN fit f ON f.tx_id = t.id ORDER BY f.ord, f.leg
  )
  SELECT t.*, f.owner_email, f.event_id, f.request_id, f.ord, f.leg FROM t JOIN fit f ON f.tx_id = t.id`;

type BatchRow = TransactionRow & {
  owner_email: string;
  event_id: string;
  request_id: string;
  ord: number;
  leg: number;
};

/** Groups concurrent transfers into one statement. */
export class TransferBatcher extends GroupCommit<TransferChange, TransferResult> {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cancelUrl: string,
    maxInFlight = 2,
    maxBatch = 256,
  ) {
    super(maxInFlight, maxBatch);
  }

  protected async applyBatch(changes: TransferChange[]): Promise<Map<number, TransferResult>> {
    const values = columns(
      changes.map((c, ord) => [
        c.fromWalletId,
        c.toWalletId,
        c.ownerId,
        c.amount.toString(),
        uuidv7(),
        uuidv7(),
        uuidv7(),
        c.idempotencyKey,
        c.fingerprint,
        JSON.stringify(c.metadata),
        uuidv7(),
        uuidv7(),
        c.requestId,
        ord,
      ]),
    );
    const { rows } = await this.pool.query<BatchRow>({
      name: "wallet_transfer_batch",
      text: TRANSFER_BATCH_SQL,
      values,
    });
    // Debit leg first, as the single path reports them.
    rows.sort((a, b) => a.ord - b.ord || a.leg - b.leg);
    const results = new Map<number, TransferResult>();
    for (let i = 0; i + 1 < rows.length; i += 2) {
      const events = [toOutboxEvent(rows[i]), toOutboxEvent(rows[i + 1])];
      const debit = events[0].transaction;
      results.set(Number(rows[i].ord), {
        transferId: debit.transferId,
        debit,
        replayed: false,
        events,
      });
    }
    return results;
  }

  protected applyOne(change: TransferChange): Promise<TransferResult> {
    return transfer(this.pool, this.cancelUrl, change);
  }
}
