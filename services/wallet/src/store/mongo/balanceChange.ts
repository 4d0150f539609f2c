import type { ClientSession, Collection, Filter } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import { BusyError } from "../../domain/errors.js";
import type { DebitChange, MutationResult, TransactionEvent } from "../../domain/model.js";
import { explainRefusal, requireSameRequest } from "../../domain/rules.js";
import {
  type Collections,
  encodeMetadata,
  fundsOf,
  type TransactionDoc,
  toTransaction,
  toWallet,
  type WalletDoc,
} from "./documents.js";
import { isDuplicateKey } from "./driverErrors.js";
import { inTransaction } from "./inTransaction.js";
import { IDEMPOTENCY_INDEX } from "./schema.js";
import { insertWithOutbox, type KeySpace, updateBalance } from "./walletWrites.js";

/**
 * Credits or debits one wallet. One transaction holds the conditional $inc, the
 * transaction document and its outbox row; a repeated idempotency key fails the
 * insert on the unique index, which aborts the whole transaction. When the
 * conditional update matches nothing, the key is looked up first (a replay
 * wins over any failure), then the cause is explained; if the cause has moved
 * on meanwhile, the change is tried again a bounded number of times.
 */
export async function changeBalance(
  cols: Collections,
  kind: "CREDIT" | "DEBIT",
  change: DebitChange,
): Promise<MutationResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const event = await inTransaction(
        cols,
        (session) => applyChange(cols, session, kind, change),
        change.signal,
      );
      if (event) return { transaction: event.transaction, replayed: false, events: [event] };
    } catch (err) {
      if (!isDuplicateKey(err, IDEMPOTENCY_INDEX)) throw err;
    }
    const previous = await TRANSACTION_KEYS.find(cols, change.ownerId, change.idempotencyKey);
    if (previous) return replay(previous, change.fingerprint);
    await explainMiss(cols.wallets, kind, change);
    // Not an answer about the request (nothing was applied): the caller retries.
    if (attempt >= 3) throw new BusyError();
  }
}

/** The committed event, or null when the wallet did not match the conditions (nothing written). */
async function applyChange(
  cols: Collections,
  session: ClientSession,
  kind: "CREDIT" | "DEBIT",
  change: DebitChange,
): Promise<TransactionEvent | null> {
  const { amount } = change;
  const where: Filter<WalletDoc> = { _id: change.walletId, ownerId: change.ownerId };
  if (change.expectedVersion !== undefined) where.version = change.expectedVersion;
  // A credit keeps the balance within MAX_AMOUNT; a debit spends only what pending holds leave available.
  const updated = await updateBalance(cols, session, where, kind, amount);
  if (!updated) return null;
  const wallet = toWallet(updated);
  const transaction: TransactionDoc = {
    _id: uuidv7(),
    walletId: wallet.id,
    ownerId: wallet.ownerId,
    type: kind,
    amount,
    currency: wallet.currency,
    balanceAfter: wallet.balance,
    walletVersion: wallet.version,
    idempotencyKey: change.idempotencyKey,
    fingerprint: change.fingerprint,
    metadata: encodeMetadata(change.metadata),
    // The server's clock, as set by $currentDate in the same transaction.
    createdAt: wallet.updatedAt,
  };
  const [event] = await insertWithOutbox(cols, session, change.requestId, [
    { transaction, ownerEmail: wallet.ownerEmail },
  ]);
  return event;
}

/** The transactions' key space: credits, debits, transfers and reversals share it. */
export const TRANSACTION_KEYS: KeySpace<TransactionDoc> = {
  index: IDEMPOTENCY_INDEX,
  // $exists repeats the partial index's filter, so the planner can use that index.
  find: (cols, ownerId, key) =>
    cols.transactions.findOne({ ownerId, idempotencyKey: { $eq: key, $exists: true } }),
};

export function replay(doc: TransactionDoc, fingerprint: string): MutationResult {
  requireSameRequest(doc.fingerprint, fingerprint);
  return { transaction: toTransaction(doc), replayed: true, events: [] };
}

/** Throws the domain error that explains why the conditional update matched no wallet. */
async function explainMiss(
  wallets: Collection<WalletDoc>,
  kind: "CREDIT" | "DEBIT",
  change: DebitChange,
): Promise<void> {
  const doc = await wallets.findOne({ _id: change.walletId, ownerId: change.ownerId });
  explainRefusal(doc ? fundsOf(toWallet(doc)) : undefined, kind, change);
}
