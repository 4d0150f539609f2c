import { MAX_AMOUNT } from "@wallet/contracts";
import type pg from "pg";
import { InsufficientFundsError, NotReversibleError, TransactionNotFoundError } from "../../domain/errors.js";
import type { ReversalRequest, ReversalResult } from "../../domain/model.js";
import { reversalAmount } from "../../domain/reversal.js";
import { ceilingError } from "../../domain/rules.js";
import { isIssuedId, validateAmountOrZero } from "../../domain/validation.js";
import { findByIdempotencyKey, replay } from "./balanceChange.js";
import { onConnection } from "./cancellable.js";
import { withRetry } from "./driverErrors.js";
import { type LockedWallet, TRANSACTION_COLUMNS, type TransactionRow, toTransaction } from "./rows.js";
import {
  appendOutbox,
  insertTransactions,
  inTransaction,
  lockWallets,
  moveBetween,
  type NewTransaction,
  replayingRaced,
  transferLegs,
} from "./writes.js";

/*
 * A reversal locks the original transaction row (for a transfer: its TRANSFER_IN leg,
 * then its TRANSFER_OUT leg; every reversal of a transfer goes through the IN leg, so
 * always in that order), then the wallets in id order. Concurrent reversals of one
 * original therefore run one after the other, each seeing what the others reversed,
 * and the CHECK on reversed_amount backs that up in the database.
 */
export async function reverseTransaction(
  pool: pg.Pool,
  cancelUrl: string,
  request: ReversalRequest,
): Promise<ReversalResult> {
  validateAmountOrZero(request.amount);
  const previous = await findByIdempotencyKey(pool, request.ownerId, request.idempotencyKey);
  if (previous) return reversalReplay(previous, request.fingerprint);
  if (!isIssuedId(request.transactionId)) throw new TransactionNotFoundError();
  return replayingRaced(
    () =>
      withRetry(() =>
        onConnection(pool, cancelUrl, request.signal, (client, control) =>
          inTransaction(
            client,
            () => control.beginCommit(),
            () => reverseOnce(client, request),
          ),
        ),
      ),
    () => findByIdempotencyKey(pool, request.ownerId, request.idempotencyKey),
    (row) => reversalReplay(row, request.fingerprint),
  );
}

function reversalReplay(row: TransactionRow, fingerprint: string): ReversalResult {
  const { transaction } = replay(row, fingerprint);
  return { reversal: transaction, transferId: transaction.transferId, replayed: true, events: [] };
}

async function lockTransaction(
  client: pg.PoolClient,
  sql: string,
  values: unknown[],
): Promise<TransactionRow | null> {
  const { rows } = await client.query<TransactionRow>(
    `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE ${sql} FOR NO KEY UPDATE`,
    values,
  );
  return rows[0] ?? null;
}

async function reverseOnce(client: pg.PoolClient, request: ReversalRequest): Promise<ReversalResult> {
  const original = await lockTransaction(client, "id = $1 AND owner_id = $2", [
    request.transactionId,
    request.ownerId,
  ]);
  if (!original) throw new TransactionNotFoundError();
  const amount = reversalAmount(
    {
      type: original.type,
      isReversal: original.reversal_of !== null,
      amount: original.amount,
      reversedAmount: original.reversed_amount,
    },
    request,
  );
  const common = {
    amount,
    currency: original.currency,
    metadata: request.metadata,
  };
  let legs: NewTransaction[];
  let originals: string[];
  if (original.type === "CREDIT" || original.type === "DEBIT") {
    const takesBack = original.type === "CREDIT";
    const { rows } = await client.query<LockedWallet>(
      `UPDATE wallets SET balance = balance + $2::bigint, version = version + 1, updated_at = now()
       WHERE id = $1 AND ${takesBack ? "balance - held >= $3::bigint" : `balance + $3::bigint <= ${MAX_AMOUNT}`}
       RETURNING id, owner_id, owner_email, currency, balance, held, version`,
      [original.wallet_id, (takesBack ? -amount : amount).toString(), amount.toString()],
    );
    const wallet = rows[0];
    if (!wallet) throw takesBack ? new InsufficientFundsError() : ceilingError();
    legs = [
      {
        ...common,
        walletId: wallet.id,
        ownerId: wallet.owner_id,
        ownerEmail: wallet.owner_email,
        type: takesBack ? "DEBIT" : "CREDIT",
        balanceAfter: wallet.balance,
        walletVersion: wallet.version,
        idempotencyKey: request.idempotencyKey,
        fingerprint: request.fingerprint,
        reversalOf: original.id,
      },
    ];
    originals = [original.id];
  } else {
    // A TRANSFER_IN: the money goes back from the receiving wallet to the sender, as a new transfer.
    const out = await lockTransaction(client, "transfer_id = $1 AND type = 'TRANSFER_OUT'", [
      original.transfer_id,
    ]);
    if (!out) throw new NotReversibleError("The transfer's other leg is missing");
    const rows = await lockWallets(client, [original.wallet_id, out.wallet_id]);
    const from = rows.find((w) => w.id === original.wallet_id)!;
    const to = rows.find((w) => w.id === out.wallet_id)!;
    await moveBetween(client, from, to, amount);
    legs = transferLegs(
      from,
      to,
      amount,
      request.metadata,
      { idempotencyKey: request.idempotencyKey, fingerprint: request.fingerprint, reversalOf: original.id },
      { reversalOf: out.id },
    );
    originals = [original.id, out.id];
  }
  const inserted = await insertTransactions(client, legs);
  await client.query(
    "UPDATE transactions SET reversed_amount = reversed_amount + $2::bigint WHERE id = ANY($1::uuid[])",
    [originals, amount.toString()],
  );
  const events = await appendOutbox(
    client,
    request.requestId,
    inserted.map((transaction) => ({ transaction })),
  );
  return {
    reversal: toTransaction(inserted[0]),
    transferId: inserted[0].transfer_id ?? "",
    replayed: false,
    events,
  };
}
