import type { OutboxEvent, Transaction, TransactionType, Wallet } from "../../domain/model.js";

export interface WalletRow {
  id: string;
  owner_id: string;
  owner_email: string;
  currency: string;
  balance: bigint;
  version: bigint;
  created_at: Date;
  updated_at: Date;
}

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
}

export const WALLET_COLUMNS = "id, owner_id, owner_email, currency, balance, version, created_at, updated_at";
export const TRANSACTION_COLUMNS =
  "id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version, transfer_id, counterparty_wallet_id, idempotency_key, fingerprint, metadata, created_at";

export function toWallet(r: WalletRow): Wallet {
  return {
    id: r.id,
    ownerId: r.owner_id,
    ownerEmail: r.owner_email,
    currency: r.currency,
    balance: r.balance,
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
  };
}

export function toOutboxEvent(
  r: TransactionRow & { event_id: string; request_id: string; owner_email: string },
): OutboxEvent {
  return {
    eventId: r.event_id,
    requestId: r.request_id,
    ownerEmail: r.owner_email,
    transaction: toTransaction(r),
  };
}
