import type { ClientSession } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import {
  AmountExceedsRemainingError,
  InsufficientFundsError,
  NotReversibleError,
  TransactionNotFoundError,
} from "../../domain/errors.js";
import type { ReversalRequest, ReversalResult } from "../../domain/model.js";
import { reversalAmount } from "../../domain/reversal.js";
import { ceilingError } from "../../domain/rules.js";
import { validateAmountOrZero } from "../../domain/validation.js";
import { replay, TRANSACTION_KEYS } from "./balanceChange.js";
import { type Collections, encodeMetadata, int64, type TransactionDoc, toWallet } from "./documents.js";
import { insertWithOutbox, moveBetween, runOnceByKey, transferLegs, updateBalance } from "./walletWrites.js";

/*
 * Reverses a CREDIT (with a DEBIT), a DEBIT (with a CREDIT) or a TRANSFER_IN
 * (with a transfer back), in one transaction that also adds the amount to the
 * original's reversedAmount on the condition that the sum stays within its
 * amount. Two partial reversals of one original both write it: one gets a write
 * conflict and is retried on a fresh snapshot, where it sees what is left. The
 * idempotency key goes on the caller's new transaction, in the owner's
 * transactions key space.
 */
export async function reverseTransaction(
  cols: Collections,
  request: ReversalRequest,
): Promise<ReversalResult> {
  validateAmountOrZero(request.amount);
  return runOnceByKey(cols, TRANSACTION_KEYS, request, reversalReplay, (session) =>
    reverseOnce(cols, session, request),
  );
}

function reversalReplay(doc: TransactionDoc, fingerprint: string): ReversalResult {
  const { transaction } = replay(doc, fingerprint);
  return { reversal: transaction, transferId: transaction.transferId, replayed: true, events: [] };
}

async function reverseOnce(
  cols: Collections,
  session: ClientSession,
  request: ReversalRequest,
): Promise<ReversalResult> {
  const original = await cols.transactions.findOne(
    { _id: request.transactionId, ownerId: request.ownerId },
    { session },
  );
  if (!original) throw new TransactionNotFoundError();
  const amount = reversalAmount(
    {
      type: original.type,
      isReversal: Boolean(original.reversalOf),
      amount: int64(original.amount, "amount"),
      reversedAmount: original.reversedAmount == null ? 0n : int64(original.reversedAmount, "reversedAmount"),
    },
    request,
  );
  await addReversed(cols, session, original._id, amount);
  const base = {
    amount,
    idempotencyKey: request.idempotencyKey,
    fingerprint: request.fingerprint,
    metadata: encodeMetadata(request.metadata),
  };

  if (original.type === "CREDIT" || original.type === "DEBIT") {
    const undoCredit = original.type === "CREDIT";
    const doc = await updateBalance(
      cols,
      session,
      { _id: original.walletId },
      undoCredit ? "DEBIT" : "CREDIT",
      amount,
    );
    if (!doc) throw undoCredit ? new InsufficientFundsError() : ceilingError();
    const wallet = toWallet(doc);
    const transaction: TransactionDoc = {
      ...base,
      _id: uuidv7(),
      walletId: wallet.id,
      ownerId: wallet.ownerId,
      type: undoCredit ? "DEBIT" : "CREDIT",
      currency: wallet.currency,
      balanceAfter: wallet.balance,
      walletVersion: wallet.version,
      reversalOf: original._id,
      createdAt: wallet.updatedAt,
    };
    const [event] = await insertWithOutbox(cols, session, request.requestId, [
      { transaction, ownerEmail: wallet.ownerEmail },
    ]);
    return { reversal: event.transaction, transferId: "", replayed: false, events: [event] };
  }

  // A TRANSFER_IN: the money goes back from the receiving wallet to the sender's.
  const outLeg = await cols.transactions.findOne(
    { transferId: { $eq: original.transferId, $exists: true }, type: "TRANSFER_OUT" },
    { session },
  );
  if (!outLeg) throw new NotReversibleError("The transfer's other leg is missing");
  await addReversed(cols, session, outLeg._id, amount);
  const docs = await cols.wallets
    .find({ _id: { $in: [original.walletId, outLeg.walletId] } }, { session })
    .toArray();
  const wallets = docs.map(toWallet);
  const from = wallets.find((w) => w.id === original.walletId);
  const to = wallets.find((w) => w.id === outLeg.walletId);
  if (!from || !to) throw new Error(`transfer ${original.transferId} names a missing wallet`);
  const { fromAfter, toAfter } = await moveBetween(cols, session, from, to, amount);
  const { transferId, legs } = transferLegs(fromAfter, toAfter, amount, base.metadata, {
    out: {
      idempotencyKey: request.idempotencyKey,
      fingerprint: request.fingerprint,
      reversalOf: original._id,
    },
    in: { reversalOf: outLeg._id },
  });
  const events = await insertWithOutbox(cols, session, request.requestId, [
    { transaction: legs[0], ownerEmail: from.ownerEmail },
    { transaction: legs[1], ownerEmail: to.ownerEmail },
  ]);
  return { reversal: events[0].transaction, transferId, replayed: false, events };
}

/** Adds to an original's reversedAmount, on the condition that the sum stays within its amount. */
async function addReversed(
  cols: Collections,
  session: ClientSession,
  transactionId: string,
  amount: bigint,
): Promise<void> {
  const result = await cols.transactions.updateOne(
    {
      _id: transactionId,
      $expr: { $lte: [{ $add: [{ $ifNull: ["$reversedAmount", 0n] }, amount] }, "$amount"] },
    },
    { $inc: { reversedAmount: amount } },
    { session },
  );
  // Checked in this snapshot just before (a newer write is a conflict, not a miss); aborts if it misses.
  if (result.modifiedCount !== 1)
    throw new AmountExceedsRemainingError("Amount exceeds what is not reversed yet");
}
