import { decodeCursor, encodeCursor } from "./domain/cursor.js";
import { ValidationError, WalletNotFoundError } from "./domain/errors.js";
import { balanceChangeFingerprint, transferFingerprint } from "./domain/fingerprint.js";
import type { MutationResult, OutboxEvent, Transaction, TransferResult, Wallet } from "./domain/model.js";
import {
  validateAmount,
  validateCurrency,
  validateId,
  validateIdempotencyKey,
  validateMetadata,
  validateOwnerEmail,
  validateOwnerId,
  validatePageSize,
} from "./domain/validation.js";
import type { WalletStore } from "./store/port.js";

/** Receives events right after their commit, to publish them without waiting for the sweeper. */
export interface CommittedEventSink {
  committed(events: OutboxEvent[]): void;
}

export interface MoneyRequest {
  ownerId: string;
  walletId: string;
  amount: bigint;
  idempotencyKey: string;
  metadata: Record<string, string>;
  requestId: string;
  /** Aborted when the caller goes away or its deadline passes. */
  signal?: AbortSignal;
}

/** The wallet's use cases: validation, then one atomic store operation, then the event hand-off. */
export class Ledger {
  constructor(
    private readonly store: WalletStore,
    private readonly events: CommittedEventSink,
  ) {}

  createWallet(ownerId: string, currency: string, ownerEmail: string): Promise<Wallet> {
    validateOwnerId(ownerId);
    validateCurrency(currency);
    validateOwnerEmail(ownerEmail);
    return this.store.createWallet({ ownerId, currency, ownerEmail });
  }

  async getWallet(ownerId: string, walletId: string): Promise<Wallet> {
    validateOwnerId(ownerId);
    validateId("wallet_id", walletId);
    const wallet = await this.store.getWallet(ownerId, walletId);
    if (!wallet) throw new WalletNotFoundError();
    return wallet;
  }

  listWallets(ownerId: string): Promise<Wallet[]> {
    validateOwnerId(ownerId);
    return this.store.listWallets(ownerId);
  }

  async credit(req: MoneyRequest): Promise<MutationResult> {
    const change = this.balanceChange("credit", req);
    return this.handOff(await this.store.credit(change));
  }

  async debit(req: MoneyRequest & { expectedVersion?: bigint }): Promise<MutationResult> {
    const change = {
      ...this.balanceChange("debit", req, req.expectedVersion),
      expectedVersion: req.expectedVersion,
    };
    return this.handOff(await this.store.debit(change));
  }

  async transfer(
    req: Omit<MoneyRequest, "walletId"> & { fromWalletId: string; toWalletId: string },
  ): Promise<TransferResult> {
    validateOwnerId(req.ownerId);
    validateId("from_wallet_id", req.fromWalletId);
    validateId("to_wallet_id", req.toWalletId);
    if (req.fromWalletId === req.toWalletId)
      throw new ValidationError("to_wallet_id", "must differ from from_wallet_id");
    validateAmount(req.amount);
    validateIdempotencyKey(req.idempotencyKey);
    validateMetadata(req.metadata);
    const fingerprint = transferFingerprint(req);
    return this.handOff(await this.store.transfer({ ...req, fingerprint }));
  }

  async listTransactions(
    ownerId: string,
    walletId: string,
    limit: number,
    cursor: string,
  ): Promise<{ transactions: Transaction[]; nextCursor: string }> {
    validateOwnerId(ownerId);
    validateId("wallet_id", walletId);
    const size = validatePageSize(limit);
    const before = decodeCursor(cursor);
    // One extra row tells whether another page exists, so the last page says so.
    const rows = await this.store.listTransactions(ownerId, walletId, size + 1, before);
    if (!rows) throw new WalletNotFoundError();
    const page = rows.slice(0, size);
    const nextCursor = rows.length > size ? encodeCursor(page[page.length - 1].walletVersion) : "";
    return { transactions: page, nextCursor };
  }

  async getTransaction(ownerId: string, transactionId: string): Promise<Transaction> {
    validateOwnerId(ownerId);
    validateId("transaction_id", transactionId);
    const tx = await this.store.getTransaction(ownerId, transactionId);
    if (!tx) throw new WalletNotFoundError("Transaction not found");
    return tx;
  }

  private balanceChange(operation: "credit" | "debit", req: MoneyRequest, expectedVersion?: bigint) {
    validateOwnerId(req.ownerId);
    validateId("wallet_id", req.walletId);
    validateAmount(req.amount);
    validateIdempotencyKey(req.idempotencyKey);
    validateMetadata(req.metadata);
    if (expectedVersion !== undefined && expectedVersion < 0n) {
      throw new ValidationError("expected_version", "must not be negative");
    }
    const fingerprint = balanceChangeFingerprint(operation, { ...req, expectedVersion });
    return { ...req, fingerprint };
  }

  private handOff<T extends { events: OutboxEvent[] }>(result: T): T {
    if (result.events.length > 0) this.events.committed(result.events);
    return result;
  }
}
