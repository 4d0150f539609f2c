import type { Collection, MongoClient } from "mongodb";
import type { OutboxEvent, Transaction, TransactionType, Wallet } from "../../domain/model.js";

/** A wallet as stored. Money and versions are int64 in BSON, bigint in JS (useBigInt64). */
export interface WalletDoc {
  _id: string;
  ownerId: string;
  ownerEmail: string;
  currency: string;
  balance: bigint;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/*
 * Metadata keys come from clients and may hold "." or start with "$", which
 * MongoDB treats specially as field names; as values in a list they are inert.
 */
export interface MetadataEntry {
  k: string;
  v: string;
}

export interface TransactionDoc {
  _id: string;
  walletId: string;
  ownerId: string;
  type: TransactionType;
  amount: bigint;
  currency: string;
  balanceAfter: bigint;
  walletVersion: bigint;
  transferId?: string;
  counterpartyWalletId?: string;
  /** Only on the leg the caller asked for; absent keys stay out of the unique partial index. */
  idempotencyKey?: string;
  fingerprint?: string;
  metadata: MetadataEntry[];
  createdAt: Date;
}

/** An outbox row carries its transaction, so a sweep needs no second lookup. */
export interface OutboxDoc {
  _id: string;
  requestId: string;
  ownerEmail: string;
  transaction: Omit<TransactionDoc, "idempotencyKey" | "fingerprint">;
  createdAt: Date;
  /** Present (true) until published; the partial index holds only these rows. */
  pending?: true;
  /** Rows are claimable once this lies in the past; starts at the epoch. */
  claimedUntil: Date;
  claimToken?: string;
  publishedAt?: Date;
}

/** The handles every store operation works with. */
export interface Collections {
  client: MongoClient;
  wallets: Collection<WalletDoc>;
  transactions: Collection<TransactionDoc>;
  outbox: Collection<OutboxDoc>;
}

/** Reads an int64 field as bigint; tolerates small integers written by other tools as int32/double. */
export function int64(value: unknown, field: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`${field} is not an integer: ${String(value)}`);
}

export function encodeMetadata(metadata: Record<string, string>): MetadataEntry[] {
  return Object.entries(metadata).map(([k, v]) => ({ k, v }));
}

export function decodeMetadata(entries: MetadataEntry[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map((e) => [e.k, e.v]));
}

export function toWallet(d: WalletDoc): Wallet {
  return {
    id: d._id,
    ownerId: d.ownerId,
    ownerEmail: d.ownerEmail,
    currency: d.currency,
    balance: int64(d.balance, "balance"),
    version: int64(d.version, "version"),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toTransaction(d: OutboxDoc["transaction"]): Transaction {
  return {
    id: d._id,
    walletId: d.walletId,
    ownerId: d.ownerId,
    type: d.type,
    amount: int64(d.amount, "amount"),
    currency: d.currency,
    balanceAfter: int64(d.balanceAfter, "balanceAfter"),
    walletVersion: int64(d.walletVersion, "walletVersion"),
    transferId: d.transferId ?? "",
    counterpartyWalletId: d.counterpartyWalletId ?? "",
    metadata: decodeMetadata(d.metadata),
    createdAt: d.createdAt,
  };
}

export function newOutboxDoc(
  eventId: string,
  transaction: TransactionDoc,
  requestId: string,
  ownerEmail: string,
): OutboxDoc {
  const { idempotencyKey: _key, fingerprint: _fingerprint, ...event } = transaction;
  return {
    _id: eventId,
    requestId,
    ownerEmail,
    transaction: event,
    createdAt: transaction.createdAt,
    pending: true,
    claimedUntil: new Date(0),
  };
}

export function toOutboxEvent(d: OutboxDoc): OutboxEvent {
  return {
    eventId: d._id,
    requestId: d.requestId,
    ownerEmail: d.ownerEmail,
    transaction: toTransaction(d.transaction),
  };
}
