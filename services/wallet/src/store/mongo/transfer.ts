import type { ClientSession } from "mongodb";
import type { TransferChange, TransferResult } from "../../domain/model.js";
import { transferPair } from "../../domain/rules.js";
import { replay, TRANSACTION_KEYS } from "./balanceChange.js";
import { type Collections, encodeMetadata, type TransactionDoc, toWallet } from "./documents.js";
import { insertWithOutbox, moveBetween, runOnceByKey, transferLegs } from "./walletWrites.js";

/**
 * Moves money between two wallets in one transaction. Both wallets are read in
 * the transaction's snapshot and then updated; a concurrent change to either
 * one is a write conflict, which withTransaction retries on a fresh snapshot.
 */
export async function transfer(cols: Collections, change: TransferChange): Promise<TransferResult> {
  return runOnceByKey(cols, TRANSACTION_KEYS, change, transferReplay, (session) =>
    transferOnce(cols, session, change),
  );
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
  const { from, to } = transferPair(
    wallets.find((w) => w.id === change.fromWalletId && w.ownerId === change.ownerId),
    wallets.find((w) => w.id === change.toWalletId),
  );
  const { fromAfter, toAfter } = await moveBetween(cols, session, from, to, change.amount);
  const { transferId, legs } = transferLegs(
    fromAfter,
    toAfter,
    change.amount,
    encodeMetadata(change.metadata),
    {
      out: { idempotencyKey: change.idempotencyKey, fingerprint: change.fingerprint },
    },
  );
  const events = await insertWithOutbox(cols, session, change.requestId, [
    { transaction: legs[0], ownerEmail: from.ownerEmail },
    { transaction: legs[1], ownerEmail: to.ownerEmail },
  ]);
  return { transferId, debit: events[0].transaction, replayed: false, events };
}
