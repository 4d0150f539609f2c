import type { ClientSession } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import {
  CurrencyMismatchError,
  InsufficientFundsError,
  StoreUnavailableError,
  ValidationError,
  WalletError,
  WalletNotFoundError,
} from "../../domain/errors.js";
import { MAX_AMOUNT } from "../../domain/limits.js";
import type { TransferChange, TransferResult, Wallet } from "../../domain/model.js";
import { findByIdempotencyKey, replay } from "./balanceChange.js";
import {
  available,
  availableAtLeast,
  type Collections,
  encodeMetadata,
  newOutboxDoc,
  type TransactionDoc,
  toTransactionEvent,
  toWallet,
} from "./documents.js";
import { isDuplicateKey } from "./driverErrors.js";
import { inTransaction } from "./inTransaction.js";
import { IDEMPOTENCY_INDEX } from "./schema.js";

/**
 * Moves money between two wallets in one transaction. Both wallets are read in
 * the transaction's snapshot and then updated; a concurrent change to either
 * one is a write conflict, which withTransaction retries on a fresh snapshot.
 */
export async function transfer(
  cols: Collections,
  change: TransferChange,
  budgetMs = 0,
): Promise<TransferResult> {
  const previous = await findByIdempotencyKey(cols.transactions, change.ownerId, change.idempotencyKey);
  if (previous) return transferReplay(previous, change.fingerprint);
  try {
    return await inTransaction(cols.client, (session) => transferOnce(cols, session, change), {
      budgetMs,
      signal: change.signal,
    });
  } catch (err) {
    // A concurrent request with the same key may have won the race: replay it.
    if (!isDuplicateKey(err, IDEMPOTENCY_INDEX) && !(err instanceof WalletError)) throw err;
    const raced = await findByIdempotencyKey(cols.transactions, change.ownerId, change.idempotencyKey);
    if (!raced) throw err;
    return transferReplay(raced, change.fingerprint);
  }
}

function transferReplay(doc: TransactionDoc, fingerprint: string): TransferResult {
  const { transaction } = replay(doc, fingerprint);
  return { transferId: transaction.transferId, debit: transaction, replayed: true, events: [] };
}

async function transferOnce(
  cols: Collections,
  session: ClientSession,
  change: TransferChange,
): Promise<TransferResult> {
  const docs = await cols.wallets
    .find({ _id: { $in: [change.fromWalletId, change.toWalletId] } }, { session })
    .toArray();
  const wallets = docs.map(toWallet);
  const from = wallets.find((w) => w.id === change.fromWalletId && w.ownerId === change.ownerId);
  const to = wallets.find((w) => w.id === change.toWalletId);
  if (!from) throw new WalletNotFoundError("Source wallet not found");
  if (!to) throw new WalletNotFoundError("Destination wallet not found");
  // The service rejects this earlier; here it would debit the one wallet twice.
  if (from.id === to.id) throw new ValidationError("to_wallet_id", "must differ from from_wallet_id");
  if (from.currency !== to.currency) throw new CurrencyMismatchError();
  if (available(from) < change.amount) throw new InsufficientFundsError();
  if (to.balance + change.amount > MAX_AMOUNT) {
    throw new ValidationError("amount", `the destination balance would exceed ${MAX_AMOUNT}`);
  }
  // Updated in id order, like the PostgreSQL adapter locks them; the guards repeat the checks above.
  const [first, second] = from.id < to.id ? [from, to] : [to, from];
  const updated = new Map<string, Wallet>();
  for (const wallet of [first, second]) {
    const debit = wallet.id === from.id;
    const doc = await cols.wallets.findOneAndUpdate(
      debit
        ? { _id: wallet.id, ...availableAtLeast(change.amount) }
        : { _id: wallet.id, balance: { $lte: MAX_AMOUNT - change.amount } },
      {
        $inc: { balance: debit ? -change.amount : change.amount, version: 1n },
        $currentDate: { updatedAt: true },
      },
      { session, returnDocument: "after" },
    );
    // Cannot happen within one snapshot (a newer write is a conflict, not a miss); aborts if it does.
    if (!doc) throw new StoreUnavailableError("Wallet busy, retry shortly");
    updated.set(wallet.id, toWallet(doc));
  }
  const fromAfter = updated.get(from.id)!;
  const toAfter = updated.get(to.id)!;
  const transferId = uuidv7();
  const metadata = encodeMetadata(change.metadata);
  const createdAt = fromAfter.updatedAt;
  const legs: TransactionDoc[] = [
    {
      _id: uuidv7(),
      walletId: from.id,
      ownerId: from.ownerId,
      type: "TRANSFER_OUT",
      amount: change.amount,
      currency: from.currency,
      balanceAfter: fromAfter.balance,
      walletVersion: fromAfter.version,
      transferId,
      counterpartyWalletId: to.id,
      idempotencyKey: change.idempotencyKey,
      fingerprint: change.fingerprint,
      metadata,
      createdAt,
    },
    {
      _id: uuidv7(),
      walletId: to.id,
      ownerId: to.ownerId,
      type: "TRANSFER_IN",
      amount: change.amount,
      currency: to.currency,
      balanceAfter: toAfter.balance,
      walletVersion: toAfter.version,
      transferId,
      counterpartyWalletId: from.id,
      metadata,
      createdAt,
    },
  ];
  await cols.transactions.insertMany(legs, { session });
  const outbox = [
    newOutboxDoc(uuidv7(), legs[0], change.requestId, from.ownerEmail),
    newOutboxDoc(uuidv7(), legs[1], change.requestId, to.ownerEmail),
  ];
  await cols.outbox.insertMany(outbox, { session });
  const events = outbox.map(toTransactionEvent);
  return { transferId, debit: events[0].transaction, replayed: false, events };
}
