import { MAX_AMOUNT } from "@wallet/contracts";
import type { ClientSession, Filter } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import { BusyError, WalletError } from "../../domain/errors.js";
import type { TransactionEvent, Wallet, WriteRequest } from "../../domain/model.js";
import { requireMove } from "../../domain/rules.js";
import {
  available,
  availableAtLeast,
  type Collections,
  type MetadataEntry,
  newOutboxDoc,
  type TransactionDoc,
  toTransactionEvent,
  toWallet,
  type WalletDoc,
} from "./documents.js";
import { type IndexSpec, isDuplicateKey } from "./driverErrors.js";
import { inTransaction } from "./inTransaction.js";

/*
 * The writes that transfers, reversals, balance changes and holds share: the
 * idempotent run of one transaction, the guarded balance update, the two
 * wallets of a transfer updated in id order, and transactions written with
 * their outbox rows.
 */

/** Where one kind of request keeps its idempotency keys: the unique index and the lookup by key. */
export interface KeySpace<D> {
  index: IndexSpec;
  find(cols: Collections, ownerId: string, key: string): Promise<D | null>;
}

/**
 * Replays the request whose key is already stored; otherwise runs `once` in one
 * transaction. When that fails on the idempotency index (or with a domain
 * error), a concurrent request with the same key may have won the race: it is
 * replayed when found, and the failure rethrown when not.
 */
export async function runOnceByKey<D, R>(
  cols: Collections,
  keys: KeySpace<D>,
  request: WriteRequest,
  replay: (doc: D, fingerprint: string) => R,
  once: (session: ClientSession) => Promise<R>,
): Promise<R> {
  const find = () => keys.find(cols, request.ownerId, request.idempotencyKey);
  const previous = await find();
  if (previous) return replay(previous, request.fingerprint);
  try {
    return await inTransaction(cols, once, request.signal);
  } catch (err) {
    if (!isDuplicateKey(err, keys.index) && !(err instanceof WalletError)) throw err;
    const raced = await find();
    if (!raced) throw err;
    return replay(raced, request.fingerprint);
  }
}

/**
 * The wallet a guarded update returned. The guard was checked in the same snapshot
 * just before, so a miss is a concurrent write (or broken data): the transaction aborts.
 */
export function guardedWallet(doc: WalletDoc | null): Wallet {
  if (!doc) throw new BusyError();
  return toWallet(doc);
}

/**
 * Credits or debits the wallet `where` matches and bumps its version, on the
 * condition that a credit keeps the balance within MAX_AMOUNT (written as
 * balance <= MAX - amount so the check itself cannot overflow) and that a debit
 * spends only what pending holds leave available. Null when nothing matched.
 */
export function updateBalance(
  cols: Collections,
  session: ClientSession,
  where: Filter<WalletDoc>,
  kind: "CREDIT" | "DEBIT",
  amount: bigint,
): Promise<WalletDoc | null> {
  const guard: Filter<WalletDoc> =
    kind === "CREDIT" ? { balance: { $lte: MAX_AMOUNT - amount } } : availableAtLeast(amount);
  return cols.wallets.findOneAndUpdate(
    { ...where, ...guard },
    {
      $inc: { balance: kind === "CREDIT" ? amount : -amount, version: 1n },
      $currentDate: { updatedAt: true },
    },
    { session, returnDocument: "after" },
  );
}

/**
 * Checks that `from` (read in this snapshot) can spend amount and that `to`
 * stays within MAX_AMOUNT, then debits `from` and credits `to` in id order,
 * like the PostgreSQL adapter locks them. The guards repeat the checks, so a
 * miss cannot happen (a newer write is a conflict, not a miss) and aborts.
 */
export async function moveBetween(
  cols: Collections,
  session: ClientSession,
  from: Wallet,
  to: Wallet,
  amount: bigint,
): Promise<{ fromAfter: Wallet; toAfter: Wallet }> {
  requireMove(available(from), to.balance, amount);
  const [first, second] = from.id < to.id ? [from, to] : [to, from];
  const updated = new Map<string, Wallet>();
  for (const wallet of [first, second]) {
    const kind = wallet.id === from.id ? "DEBIT" : "CREDIT";
    updated.set(
      wallet.id,
      guardedWallet(await updateBalance(cols, session, { _id: wallet.id }, kind, amount)),
    );
  }
  return { fromAfter: updated.get(from.id)!, toAfter: updated.get(to.id)! };
}

/**
 * The two legs of a transfer of amount between the wallets as they are after
 * it, under a new transfer id, created at the debited wallet's update time.
 * `out` and `in` add fields to one leg each (the key, a reversed leg, a hold).
 */
export function transferLegs(
  fromAfter: Wallet,
  toAfter: Wallet,
  amount: bigint,
  metadata: MetadataEntry[],
  extra: { out?: Partial<TransactionDoc>; in?: Partial<TransactionDoc> } = {},
): { transferId: string; legs: [TransactionDoc, TransactionDoc] } {
  const transferId = uuidv7();
  const createdAt = fromAfter.updatedAt;
  const leg = (
    wallet: Wallet,
    type: "TRANSFER_OUT" | "TRANSFER_IN",
    counterparty: Wallet,
    more: Partial<TransactionDoc> | undefined,
  ): TransactionDoc => ({
    _id: uuidv7(),
    walletId: wallet.id,
    ownerId: wallet.ownerId,
    type,
    amount,
    currency: wallet.currency,
    balanceAfter: wallet.balance,
    walletVersion: wallet.version,
    transferId,
    counterpartyWalletId: counterparty.id,
    ...more,
    metadata,
    createdAt,
  });
  return {
    transferId,
    legs: [
      leg(fromAfter, "TRANSFER_OUT", toAfter, extra.out),
      leg(toAfter, "TRANSFER_IN", fromAfter, extra.in),
    ],
  };
}

/** Inserts transactions, then one outbox row each (for its wallet owner), and returns their events. */
export async function insertWithOutbox(
  cols: Collections,
  session: ClientSession,
  requestId: string,
  written: { transaction: TransactionDoc; ownerEmail: string }[],
): Promise<TransactionEvent[]> {
  const transactions = written.map((w) => w.transaction);
  // One document goes through insertOne, so its duplicate key fails as a plain server error.
  if (transactions.length === 1) await cols.transactions.insertOne(transactions[0], { session });
  else await cols.transactions.insertMany(transactions, { session });
  const outbox = written.map((w) => newOutboxDoc(uuidv7(), w.transaction, requestId, w.ownerEmail));
  if (outbox.length === 1) await cols.outbox.insertOne(outbox[0], { session });
  else await cols.outbox.insertMany(outbox, { session });
  return outbox.map(toTransactionEvent);
}
