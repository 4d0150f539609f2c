import type { ClientSession, Filter } from "mongodb";
import { v7 as uuidv7 } from "uuid";
import { BusyError, HoldNotFoundError, HoldNotPendingError } from "../../domain/errors.js";
import type {
  CaptureResult,
  Hold,
  HoldCapture,
  HoldEvent,
  HoldPlacement,
  HoldRelease,
  HoldResult,
  OutboxEvent,
  TransactionEvent,
  Wallet,
} from "../../domain/model.js";
import {
  captureAmount,
  captureDestination,
  explainRefusal,
  requireEndReplay,
  requireSameRequest,
} from "../../domain/rules.js";
import { validateAmount, validateAmountOrZero } from "../../domain/validation.js";
import type { Page } from "../adapter.js";
import type { HoldPosition } from "../port.js";
import {
  availableAtLeast,
  type Collections,
  encodeMetadata,
  fundsOf,
  type HoldDoc,
  newHoldOutboxDoc,
  newOutboxDoc,
  type TransactionDoc,
  toHold,
  toHoldEvent,
  toTransaction,
  toTransactionEvent,
  toWallet,
} from "./documents.js";
import { inTransaction } from "./inTransaction.js";
import { HOLD_IDEMPOTENCY_INDEX } from "./schema.js";
import { guardedWallet, type KeySpace, runOnceByKey, transferLegs, updateBalance } from "./walletWrites.js";

/*
 * Holds. A pending hold adds its amount to its wallet's `held`; debits,
 * transfers and new holds may spend only balance − held. Holds never bump the
 * wallet's version (it counts transactions); a capture does, like a debit.
 *
 * Every transition is one multi-document transaction with snapshot reads: the
 * hold is read, its status checked, then updated on the condition that it is
 * still PENDING. Two transitions racing for one hold (capture, void, expiry on
 * several replicas) both write it, so one of them gets a write conflict, which
 * withTransaction retries on a fresh snapshot, where the hold has ended: the
 * loser answers HoldNotPendingError (or replays, when it was the same request).
 */

export async function placeHold(cols: Collections, placement: HoldPlacement): Promise<HoldResult> {
  validateAmount(placement.amount);
  return runOnceByKey(cols, HOLD_KEYS, placement, placeReplay, (session) =>
    placeOnce(cols, session, placement),
  );
}

const HOLD_KEYS: KeySpace<HoldDoc> = {
  index: HOLD_IDEMPOTENCY_INDEX,
  // $exists repeats the partial index's filter, so the planner can use that index.
  find: (cols, ownerId, key) => cols.holds.findOne({ ownerId, idempotencyKey: { $eq: key, $exists: true } }),
};

/** A replayed placement returns the hold as it is now. */
function placeReplay(doc: HoldDoc, fingerprint: string): HoldResult {
  requireSameRequest(doc.fingerprint, fingerprint);
  return { hold: toHold(doc), replayed: true, events: [] };
}

async function placeOnce(
  cols: Collections,
  session: ClientSession,
  placement: HoldPlacement,
): Promise<HoldResult> {
  const updated = await cols.wallets.findOneAndUpdate(
    { _id: placement.walletId, ownerId: placement.ownerId, ...availableAtLeast(placement.amount) },
    { $inc: { held: placement.amount }, $currentDate: { updatedAt: true } },
    { session, returnDocument: "after" },
  );
  if (!updated) {
    const doc = await cols.wallets.findOne(
      { _id: placement.walletId, ownerId: placement.ownerId },
      { session },
    );
    // A hold spends like a debit. The read is in this transaction's snapshot, where the
    // conditional update just missed, so one of the checks refuses it.
    explainRefusal(doc ? fundsOf(toWallet(doc)) : undefined, "DEBIT", placement);
    throw new BusyError();
  }
  const wallet = toWallet(updated);
  const hold: HoldDoc = {
    _id: uuidv7(),
    walletId: wallet.id,
    ownerId: wallet.ownerId,
    currency: wallet.currency,
    amount: placement.amount,
    status: "PENDING",
    expiresAt: placement.expiresAt,
    metadata: encodeMetadata(placement.metadata),
    // The server's clock, as set by $currentDate in the same transaction (millisecond precision).
    createdAt: wallet.updatedAt,
    idempotencyKey: placement.idempotencyKey,
    fingerprint: placement.fingerprint,
  };
  await cols.holds.insertOne(hold, { session });
  const outbox = newHoldOutboxDoc(uuidv7(), hold, placement.requestId, wallet.ownerEmail);
  await cols.outbox.insertOne(outbox, { session });
  return { hold: toHold(hold), replayed: false, events: [toHoldEvent(outbox)] };
}

export async function captureHold(cols: Collections, capture: HoldCapture): Promise<CaptureResult> {
  validateAmountOrZero(capture.amount);
  return endHold(
    cols,
    { ...capture, status: "CAPTURED" },
    (session, hold) => captureOnce(cols, session, hold, capture),
    async (hold) => {
      if (!hold.captureTransactionId) throw new Error(`captured hold ${hold._id} has no transaction`);
      const transaction = await cols.transactions.findOne({ _id: hold.captureTransactionId });
      if (!transaction) throw new Error(`capture transaction ${hold.captureTransactionId} is missing`);
      return { hold: toHold(hold), transaction: toTransaction(transaction), replayed: true, events: [] };
    },
  );
}

export function voidHold(cols: Collections, release: HoldRelease): Promise<HoldResult> {
  return endHold(
    cols,
    { ...release, status: "VOIDED" },
    (session, hold) => voidOnce(cols, session, hold, release),
    async (hold) => ({ hold: toHold(hold), replayed: true, events: [] }),
  );
}

interface Ending {
  /** What the request ends the hold as. */
  status: "CAPTURED" | "VOIDED";
  ownerId: string;
  holdId: string;
  idempotencyKey: string;
  fingerprint: string;
  requestId: string;
  signal?: AbortSignal;
}

type Outcome<T> = { done: T } | { ended: HoldDoc } | { expired: true };

/**
 * Ends a PENDING hold with `end`, inside one transaction. A hold that has ended
 * already is a replay when it was ended by this key (same fingerprint) and
 * HoldNotPendingError otherwise. A PENDING hold past its expiry is expired in a
 * transaction that commits, and only then is HoldNotPendingError thrown.
 */
async function endHold<T>(
  cols: Collections,
  ending: Ending,
  end: (session: ClientSession, hold: HoldDoc) => Promise<T>,
  replay: (hold: HoldDoc) => Promise<T>,
): Promise<T> {
  const existing = await cols.holds.findOne({ _id: ending.holdId, ownerId: ending.ownerId });
  if (!existing) throw new HoldNotFoundError();
  if (existing.status !== "PENDING") return replayOrRefuse(existing, ending, replay);
  const outcome = await inTransaction(
    cols,
    async (session): Promise<Outcome<T>> => {
      const hold = await cols.holds.findOne({ _id: ending.holdId, ownerId: ending.ownerId }, { session });
      if (!hold) throw new HoldNotFoundError();
      if (hold.status !== "PENDING") return { ended: hold };
      const now = new Date();
      if (hold.expiresAt.getTime() <= now.getTime()) {
        // Like a sweep's: the expiry is not the request's doing.
        const expired = await expireOne(cols, session, hold._id, now, "");
        // Read PENDING in this snapshot, so a miss cannot happen (a newer write is a conflict); aborts if it does.
        if (!expired) throw new BusyError("Hold");
        return { expired: true };
      }
      return { done: await end(session, hold) };
    },
    ending.signal,
  );
  // Thrown after the expiry has committed, so the error does not roll it back.
  if ("expired" in outcome) throw new HoldNotPendingError("EXPIRED");
  if ("ended" in outcome) return replayOrRefuse(outcome.ended, ending, replay);
  return outcome.done;
}

function replayOrRefuse<T>(hold: HoldDoc, ending: Ending, replay: (hold: HoldDoc) => Promise<T>): Promise<T> {
  requireEndReplay(hold, ending);
  return replay(hold);
}

async function captureOnce(
  cols: Collections,
  session: ClientSession,
  hold: HoldDoc,
  capture: HoldCapture,
): Promise<CaptureResult> {
  const amount = captureAmount(hold.amount, capture.amount);
  const metadata = encodeMetadata(capture.metadata);
  const transactions: TransactionDoc[] = [];
  const owners = new Map<string, Wallet>();
  if (!capture.destinationWalletId) {
    const source = await releaseAndDebit(cols, session, hold, amount);
    owners.set(source.id, source);
    transactions.push({
      _id: uuidv7(),
      walletId: source.id,
      ownerId: source.ownerId,
      type: "DEBIT",
      amount,
      currency: source.currency,
      balanceAfter: source.balance,
      walletVersion: source.version,
      holdId: hold._id,
      metadata,
      createdAt: source.updatedAt,
    });
  } else {
    const destinationId = capture.destinationWalletId;
    const destDoc = await cols.wallets.findOne({ _id: destinationId }, { session });
    const destination = captureDestination(hold, destDoc ? toWallet(destDoc) : undefined, amount);
    // Updated in id order, like transfers.
    const steps = [
      { id: hold.walletId, apply: () => releaseAndDebit(cols, session, hold, amount) },
      { id: destination.id, apply: () => creditForTransfer(cols, session, destination.id, amount) },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const step of steps) owners.set(step.id, await step.apply());
    const from = owners.get(hold.walletId)!;
    const to = owners.get(destination.id)!;
    const { legs } = transferLegs(from, to, amount, metadata, {
      out: { holdId: hold._id },
      in: { holdId: hold._id },
    });
    transactions.push(...legs);
  }
  await cols.transactions.insertMany(transactions, { session });
  const captured: HoldDoc = {
    ...hold,
    status: "CAPTURED",
    capturedAmount: amount,
    captureTransactionId: transactions[0]._id,
    ...(capture.destinationWalletId ? { destinationWalletId: capture.destinationWalletId } : {}),
    endedAt: transactions[0].createdAt,
    endKey: capture.idempotencyKey,
    endFingerprint: capture.fingerprint,
  };
  await markEnded(cols, session, captured);
  const outbox = [
    ...transactions.map((t) =>
      newOutboxDoc(uuidv7(), t, capture.requestId, owners.get(t.walletId)!.ownerEmail),
    ),
    newHoldOutboxDoc(uuidv7(), captured, capture.requestId, owners.get(hold.walletId)!.ownerEmail),
  ];
  await cols.outbox.insertMany(outbox, { session });
  const events: OutboxEvent[] = outbox.map((o) =>
    o.kind === "hold" ? toHoldEvent(o) : toTransactionEvent(o),
  );
  const transaction = (events[0] as TransactionEvent).transaction;
  return { hold: toHold(captured), transaction, replayed: false, events };
}

/** The capture's side of the hold's wallet: the captured amount leaves, the whole hold is released. */
async function releaseAndDebit(
  cols: Collections,
  session: ClientSession,
  hold: HoldDoc,
  amount: bigint,
): Promise<Wallet> {
  const doc = await cols.wallets.findOneAndUpdate(
    { _id: hold.walletId, held: { $gte: hold.amount }, balance: { $gte: amount } },
    {
      $inc: { balance: -amount, held: -hold.amount, version: 1n },
      $currentDate: { updatedAt: true },
    },
    { session, returnDocument: "after" },
  );
  // The hold's funds are reserved in the same snapshot: a miss means broken data.
  return guardedWallet(doc);
}

async function creditForTransfer(
  cols: Collections,
  session: ClientSession,
  walletId: string,
  amount: bigint,
): Promise<Wallet> {
  return guardedWallet(await updateBalance(cols, session, { _id: walletId }, "CREDIT", amount));
}

async function voidOnce(
  cols: Collections,
  session: ClientSession,
  hold: HoldDoc,
  release: HoldRelease,
): Promise<HoldResult> {
  const wallet = await releaseHeld(cols, session, hold);
  const voided: HoldDoc = {
    ...hold,
    status: "VOIDED",
    endedAt: wallet.updatedAt,
    endKey: release.idempotencyKey,
    endFingerprint: release.fingerprint,
  };
  await markEnded(cols, session, voided);
  const outbox = newHoldOutboxDoc(uuidv7(), voided, release.requestId, wallet.ownerEmail);
  await cols.outbox.insertOne(outbox, { session });
  return { hold: toHold(voided), replayed: false, events: [toHoldEvent(outbox)] };
}

/** Gives a hold's amount back to its wallet's available funds (no version bump). */
async function releaseHeld(cols: Collections, session: ClientSession, hold: HoldDoc): Promise<Wallet> {
  const doc = await cols.wallets.findOneAndUpdate(
    { _id: hold.walletId, held: { $gte: hold.amount } },
    { $inc: { held: -hold.amount }, $currentDate: { updatedAt: true } },
    { session, returnDocument: "after" },
  );
  return guardedWallet(doc);
}

/** Writes a hold's end on the condition that it is still PENDING. */
async function markEnded(cols: Collections, session: ClientSession, ended: HoldDoc): Promise<void> {
  const changes: Partial<HoldDoc> = { status: ended.status, endedAt: ended.endedAt };
  for (const field of [
    "capturedAmount",
    "captureTransactionId",
    "destinationWalletId",
    "endKey",
    "endFingerprint",
  ] as const) {
    if (ended[field] !== undefined) Object.assign(changes, { [field]: ended[field] });
  }
  const result = await cols.holds.updateOne(
    { _id: ended._id, status: "PENDING" },
    { $set: changes },
    { session },
  );
  // Read PENDING in this snapshot: a concurrent end is a write conflict, not a miss; aborts if it is.
  if (result.modifiedCount !== 1) throw new BusyError("Hold");
}

/**
 * Expires one hold, if it is still PENDING and due at `now`: the conditional
 * update on status is what makes a hold expire exactly once whoever sweeps.
 * Null when it is not (another transition got there first).
 */
async function expireOne(
  cols: Collections,
  session: ClientSession,
  holdId: string,
  now: Date,
  requestId: string,
): Promise<HoldEvent | null> {
  const hold = await cols.holds.findOne(
    { _id: holdId, status: "PENDING", expiresAt: { $lte: now } },
    { session },
  );
  if (!hold) return null;
  const wallet = await releaseHeld(cols, session, hold);
  const expired: HoldDoc = { ...hold, status: "EXPIRED", endedAt: wallet.updatedAt };
  await markEnded(cols, session, expired);
  const outbox = newHoldOutboxDoc(uuidv7(), expired, requestId, wallet.ownerEmail);
  await cols.outbox.insertOne(outbox, { session });
  return toHoldEvent(outbox);
}

/**
 * Ends up to `limit` due PENDING holds as EXPIRED, oldest expiry first, one
 * transaction each (a write conflict with another sweeper retries that one hold,
 * which then reads as ended and is skipped).
 */
export async function expireHolds(cols: Collections, now: Date, limit: number): Promise<OutboxEvent[]> {
  const due = await cols.holds
    .find({ status: "PENDING", expiresAt: { $lte: now } }, { projection: { _id: 1 } })
    .sort({ expiresAt: 1 })
    .limit(limit)
    .toArray();
  const events: OutboxEvent[] = [];
  for (const { _id } of due) {
    const event = await inTransaction(cols, (session) => expireOne(cols, session, _id, now, ""));
    if (event) events.push(event);
  }
  return events;
}

export async function getHold(cols: Collections, ownerId: string, holdId: string): Promise<Hold | null> {
  const doc = await cols.holds.findOne({ _id: holdId, ownerId });
  return doc ? toHold(doc) : null;
}

export async function listHolds(
  cols: Collections,
  { ownerId, walletId, limit, after }: Page<HoldPosition>,
): Promise<Hold[] | null> {
  const owned = await cols.wallets.findOne({ _id: walletId, ownerId }, { projection: { _id: 1 } });
  if (!owned) return null;
  const filter: Filter<HoldDoc> = { walletId };
  if (after) {
    filter.$or = [
      { createdAt: { $lt: after.createdAt } },
      { createdAt: after.createdAt, _id: { $lt: after.id } },
    ];
  }
  const docs = await cols.holds.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
  return docs.map(toHold);
}
