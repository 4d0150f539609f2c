import type {
  Hold,
  HoldEvent,
  HoldStatus,
  Transaction,
  TransactionEvent,
  TransactionType,
  Wallet,
} from "../../domain/model.js";

export interface WalletRow {
  id: string;
  owner_id: string;
  owner_email: string;
  currency: string;
  balance: bigint;
  held: bigint;
  version: bigint;
  created_at: Date;
  updated_at: Date;
}

/** A wallet row as the units of work that lock it read it. */
export type LockedWallet = Omit<WalletRow, "created_at" | "updated_at">;

export interface TransactionRow {
  id: string;
  wallet_id: string;
  owner_id: string;
  type: string;
  amount: bigint;
  currency: string;
  balance_after: bigint;
  wallet_version: bigint;
  transfer_id: string | null;
  counterparty_wallet_id: string | null;
  idempotency_key: string | null;
  fingerprint: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  reversal_of: string | null;
  hold_id: string | null;
  reversed_amount: bigint;
}

export interface HoldRow {
  id: string;
  wallet_id: string;
  owner_id: string;
  currency: string;
  amount: bigint;
  status: string;
  captured_amount: bigint;
  capture_transaction_id: string | null;
  destination_wallet_id: string | null;
  expires_at: Date;
  idempotency_key: string;
  fingerprint: string;
  end_idempotency_key: string | null;
  end_fingerprint: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  ended_at: Date | null;
}

export const WALLET_COLUMNS =
  "id, owner_id, owner_email, currency, balance, held, version, created_at, updated_at";
export const TRANSACTION_COLUMNS =
  "id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version, transfer_id, counterparty_wallet_id, idempotency_key, fingerprint, metadata, created_at, reversal_of, hold_id, reversed_amount";
export const HOLD_COLUMNS =
  "id, wallet_id, owner_id, currency, amount, status, captured_amount, capture_transaction_id, destination_wallet_id, expires_at, idempotency_key, fingerprint, end_idempotency_key, end_fingerprint, metadata, created_at, ended_at";

/** The columns of `table`, qualified by `alias` and renamed with `prefix` (to read two tables in one row). */
export function prefixed(columns: string, alias: string, prefix = ""): string {
  return columns
    .split(", ")
    .map((c) => `${alias}.${c}${prefix ? ` AS ${prefix}${c}` : ""}`)
    .join(", ");
}

/** The fields of a row read with prefixed(…, prefix), without the prefix. */
export function unprefixed<T>(row: Record<string, unknown>, columns: string, prefix: string): T {
  return Object.fromEntries(columns.split(", ").map((c) => [c, row[`${prefix}${c}`]])) as T;
}

export function toWallet(r: WalletRow): Wallet {
  return {
    id: r.id,
    ownerId: r.owner_id,
    ownerEmail: r.owner_email,
    currency: r.currency,
    balance: r.balance,
    heldBalance: r.held,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toTransaction(r: TransactionRow): Transaction {
  return {
    id: r.id,
    walletId: r.wallet_id,
    ownerId: r.owner_id,
    type: r.type as TransactionType,
    amount: r.amount,
    currency: r.currency,
    balanceAfter: r.balance_after,
    walletVersion: r.wallet_version,
    transferId: r.transfer_id ?? "",
    counterpartyWalletId: r.counterparty_wallet_id ?? "",
    metadata: r.metadata,
    createdAt: r.created_at,
    reversalOf: r.reversal_of ?? "",
    holdId: r.hold_id ?? "",
    reversedAmount: r.reversed_amount,
  };
}

export function toHold(r: HoldRow): Hold {
  return {
    id: r.id,
    walletId: r.wallet_id,
    ownerId: r.owner_id,
    currency: r.currency,
    amount: r.amount,
    status: r.status as HoldStatus,
    capturedAmount: r.captured_amount,
    captureTransactionId: r.capture_transaction_id ?? "",
    destinationWalletId: r.destination_wallet_id ?? "",
    expiresAt: r.expires_at,
    metadata: r.metadata,
    createdAt: r.created_at,
    endedAt: r.ended_at,
  };
}

export function toOutboxEvent(
  r: TransactionRow & { event_id: string; request_id: string; owner_email: string },
): TransactionEvent {
  return {
    kind: "transaction",
    eventId: r.event_id,
    requestId: r.request_id,
    ownerEmail: r.owner_email,
    transaction: toTransaction(r),
  };
}

/**
 * A hold transition's event, from the hold row as it is now and the status the outbox
 * row recorded: a hold ends once, so the row is the ended state of every ending event,
 * and a PENDING event shows the hold as it was placed.
 */
export function toHoldEvent(
  hold: HoldRow,
  outbox: {
    event_id: string;
    request_id: string;
    owner_email: string;
    hold_status: string;
    created_at: Date;
  },
): HoldEvent {
  const now = toHold(hold);
  const asOf: Hold =
    outbox.hold_status === "PENDING"
      ? {
          ...now,
          status: "PENDING",
          capturedAmount: 0n,
          captureTransactionId: "",
          destinationWalletId: "",
          endedAt: null,
        }
      : { ...now, status: outbox.hold_status as HoldStatus };
  return {
    kind: "hold",
    eventId: outbox.event_id,
    requestId: outbox.request_id,
    ownerEmail: outbox.owner_email,
    hold: asOf,
    occurredAt: outbox.created_at,
  };
}
