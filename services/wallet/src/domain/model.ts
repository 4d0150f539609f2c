/** Money is always bigint minor units; never a JS number. */
export type Money = bigint;

export type TransactionType = "CREDIT" | "DEBIT" | "TRANSFER_OUT" | "TRANSFER_IN";

export interface Wallet {
  id: string;
  ownerId: string;
  ownerEmail: string;
  currency: string;
  balance: Money;
  version: bigint;
  createdAt: Date;
  updatedAt: Date;
}

export interface Transaction {
  id: string;
  walletId: string;
  ownerId: string;
  type: TransactionType;
  amount: Money;
  currency: string;
  balanceAfter: Money;
  walletVersion: bigint;
  transferId: string;
  counterpartyWalletId: string;
  metadata: Record<string, string>;
  createdAt: Date;
}

/** A committed (or replayed) mutation's result. */
export interface MutationResult {
  transaction: Transaction;
  replayed: boolean;
  /** Events written to the outbox by this commit (none on a replay), for immediate publishing. */
  events: OutboxEvent[];
}

export interface TransferResult {
  transferId: string;
  debit: Transaction;
  replayed: boolean;
  events: OutboxEvent[];
}

export interface BalanceChange {
  ownerId: string;
  walletId: string;
  amount: Money;
  idempotencyKey: string;
  metadata: Record<string, string>;
  /** sha256 of the request's meaningful fields, to tell a replay from key reuse. */
  fingerprint: string;
  requestId: string;
  /** The caller's cancellation: once aborted, the store stops and rolls back unless it is already committing. */
  signal?: AbortSignal;
}

export interface DebitChange extends BalanceChange {
  expectedVersion?: bigint;
}

export interface TransferChange {
  ownerId: string;
  fromWalletId: string;
  toWalletId: string;
  amount: Money;
  idempotencyKey: string;
  metadata: Record<string, string>;
  fingerprint: string;
  requestId: string;
  signal?: AbortSignal;
}

/** One unpublished TransactionCommitted event, as stored in the outbox. */
export interface OutboxEvent {
  eventId: string;
  requestId: string;
  ownerEmail: string;
  transaction: Transaction;
}
