import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import type { TransferChange, TransferResult } from "../../domain/model.js";
import { transferPair } from "../../domain/rules.js";
import { findByIdempotencyKey, replay } from "./balanceChange.js";
import { onConnection, type WorkControl } from "./cancellable.js";
import { withRetry } from "./driverErrors.js";
import { TRANSACTION_COLUMNS, type TransactionRow, toOutboxEvent } from "./rows.js";
import { lockWallets, moveBetween, replayingRaced } from "./writes.js";

const INSERT_LEGS = `
  WITH t AS (
    INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                              transfer_id, counterparty_wallet_id, idempotency_key, fingerprint, metadata)
    VALUES ($1, $2, $3, 'TRANSFER_OUT', $4::bigint, $5, $6::bigint, $7::bigint, $8, $9, $10, $11, $12::jsonb),
           ($13, $9, $14, 'TRANSFER_IN', $4::bigint, $5, $15::bigint, $16::bigint, $8, $2, NULL, NULL, $12::jsonb)
    RETURNING ${TRANSACTION_COLUMNS}
  ), o AS (
    INSERT INTO outbox (event_id, transaction_id, request_id, owner_email)
    VALUES ($17, $1, $19, $20), ($18, $13, $19, $21)
  )
  SELECT t.*, CASE WHEN t.id = $1 THEN $17::uuid ELSE $18::uuid END AS event_id,
         CASE WHEN t.id = $1 THEN $20::text ELSE $21::text END AS owner_email, $19::text AS request_id
  FROM t`;

/**
 * Moves money between two wallets in one transaction. Both rows are locked in id
 * order, so two transfers in opposite directions cannot deadlock each other;
 * deadlocks from elsewhere are retried.
 */
export async function transfer(
  pool: pg.Pool,
  cancelUrl: string,
  change: TransferChange,
): Promise<TransferResult> {
  const previous = await findByIdempotencyKey(pool, change.ownerId, change.idempotencyKey);
  if (previous) return transferReplay(previous, change.fingerprint);
  return replayingRaced(
    () =>
      withRetry(() =>
        onConnection(pool, cancelUrl, change.signal, (client, control) =>
          transferOnce(client, control, change),
        ),
      ),
    () => findByIdempotencyKey(pool, change.ownerId, change.idempotencyKey),
    (row) => transferReplay(row, change.fingerprint),
  );
}

function transferReplay(row: TransactionRow, fingerprint: string): TransferResult {
  const { transaction } = replay(row, fingerprint);
  return { transferId: transaction.transferId, debit: transaction, replayed: true, events: [] };
}

async function transferOnce(
  client: pg.PoolClient,
  control: WorkControl,
  change: TransferChange,
): Promise<TransferResult> {
  try {
    await client.query("BEGIN");
    const rows = await lockWallets(client, [change.fromWalletId, change.toWalletId]);
    const { from, to } = transferPair(
      rows.find((w) => w.id === change.fromWalletId && w.owner_id === change.ownerId),
      rows.find((w) => w.id === change.toWalletId),
    );
    await moveBetween(client, from, to, change.amount);
    const transferId = uuidv7();
    const debitId = uuidv7();
    const result = await client.query(INSERT_LEGS, [
      debitId,
      from.id,
      from.owner_id,
      change.amount.toString(),
      from.currency,
      (from.balance - change.amount).toString(),
      (from.version + 1n).toString(),
      transferId,
      to.id,
      change.idempotencyKey,
      change.fingerprint,
      JSON.stringify(change.metadata),
      uuidv7(),
      to.owner_id,
      (to.balance + change.amount).toString(),
      (to.version + 1n).toString(),
      uuidv7(),
      uuidv7(),
      change.requestId,
      from.owner_email,
      to.owner_email,
    ]);
    control.beginCommit();
    await client.query("COMMIT");
    const events = result.rows.map(toOutboxEvent);
    const debit = events.find((e) => e.transaction.id === debitId)!.transaction;
    return { transferId, debit, replayed: false, events };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
