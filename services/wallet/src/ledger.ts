import { decodeCursor, decodeHoldCursor, encodeCursor, encodeHoldCursor } from "./domain/cursor.js";
import {
  HoldNotFoundError,
  TransactionNotFoundError,
  ValidationError,
  WalletNotFoundError,
} from "./domain/errors.js";
import {
  balanceChangeFingerprint,
  captureFingerprint,
  holdFingerprint,
  reversalFingerprint,
  transferFingerprint,
  voidFingerprint,
} from "./domain/fingerprint.js";
import type {
  CaptureResult,
  Hold,
  HoldResult,
  MutationResult,
  OutboxEvent,
  ReversalResult,
  Transaction,
  TransferResult,
  Wallet,
} from "./domain/model.js";
import {
  validateAmount,
  validateAmountOrZero,
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

/** What every request that moves money carries besides its own fields. */
export interface RequestContext {
  ownerId: string;
  /** Replays the first outcome when the same request comes again under this key. */
  idempotencyKey: string;
  requestId: string;
  /** Aborted when the caller goes away or its deadline passes. */
  signal?: AbortSignal;
}

/** A request that records a transaction, with the caller's metadata on it. */
interface RecordingRequest extends RequestContext {
  metadata: Record<string, string>;
}

export interface MoneyRequest extends RecordingRequest {
  walletId: string;
  amount: bigint;
}

/** How long holds live: the default when a request names no expiry, and the most it may ask for. */
export interface HoldPolicy {
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
}

export const DEFAULT_HOLD_POLICY: HoldPolicy = { defaultTtlSeconds: 604_800, maxTtlSeconds: 2_592_000 };

export interface PlaceHoldRequest extends MoneyRequest {
  /** 0 takes the policy's default. */
  expiresInSeconds: bigint;
}

export interface CaptureHoldRequest extends RecordingRequest {
  holdId: string;
  /** 0 captures the whole hold. */
  amount: bigint;
  destinationWalletId: string;
}

export interface VoidHoldRequest extends RequestContext {
  holdId: string;
}

export interface ReverseRequest extends RecordingRequest {
  transactionId: string;
  /** 0 reverses the rest. */
  amount: bigint;
  /** The caller holds the credit scope (or is an operator): needed to reverse a debit. */
  mayCredit: boolean;
}

/** The wallet's use cases: validation, then one atomic store operation, then the event hand-off. */
export class Ledger {
  constructor(
    private readonly store: WalletStore,
    private readonly events: CommittedEventSink,
    private readonly holdPolicy: HoldPolicy = DEFAULT_HOLD_POLICY,
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
    if (!tx) throw new TransactionNotFoundError();
    return tx;
  }

  async placeHold(req: PlaceHoldRequest): Promise<HoldResult> {
    validateOwnerId(req.ownerId);
    validateId("wallet_id", req.walletId);
    validateAmount(req.amount);
    validateIdempotencyKey(req.idempotencyKey);
    validateMetadata(req.metadata);
    const ttlSeconds = this.holdTtlSeconds(req.expiresInSeconds);
    const fingerprint = holdFingerprint({ ...req, expiresInSeconds: ttlSeconds });
    const { expiresInSeconds: _ttl, ...rest } = req;
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    return this.handOff(await this.store.placeHold({ ...rest, expiresAt, fingerprint }));
  }

  async captureHold(req: CaptureHoldRequest): Promise<CaptureResult> {
    validateOwnerId(req.ownerId);
    validateId("hold_id", req.holdId);
    validateAmountOrZero(req.amount);
    if (req.destinationWalletId !== "") validateId("destination_wallet_id", req.destinationWalletId);
    validateIdempotencyKey(req.idempotencyKey);
    validateMetadata(req.metadata);
    const fingerprint = captureFingerprint(req);
    return this.handOff(await this.store.captureHold({ ...req, fingerprint }));
  }

  async voidHold(req: VoidHoldRequest): Promise<HoldResult> {
    validateOwnerId(req.ownerId);
    validateId("hold_id", req.holdId);
    validateIdempotencyKey(req.idempotencyKey);
    const fingerprint = voidFingerprint(req);
    return this.handOff(await this.store.voidHold({ ...req, fingerprint }));
  }

  async getHold(ownerId: string, holdId: string): Promise<Hold> {
    validateOwnerId(ownerId);
    validateId("hold_id", holdId);
    const hold = await this.store.getHold(ownerId, holdId);
    if (!hold) throw new HoldNotFoundError();
    return hold;
  }

  async listHolds(
    ownerId: string,
    walletId: string,
    limit: number,
    cursor: string,
  ): Promise<{ holds: Hold[]; nextCursor: string }> {
    validateOwnerId(ownerId);
    validateId("wallet_id", walletId);
    const size = validatePageSize(limit);
    const after = decodeHoldCursor(cursor);
    const rows = await this.store.listHolds(ownerId, walletId, size + 1, after);
    if (!rows) throw new WalletNotFoundError();
    const page = rows.slice(0, size);
    const nextCursor = rows.length > size ? encodeHoldCursor(page[page.length - 1]) : "";
    return { holds: page, nextCursor };
  }

  async reverseTransaction(req: ReverseRequest): Promise<ReversalResult> {
    validateOwnerId(req.ownerId);
    validateId("transaction_id", req.transactionId);
    validateAmountOrZero(req.amount);
    validateIdempotencyKey(req.idempotencyKey);
    validateMetadata(req.metadata);
    const fingerprint = reversalFingerprint(req);
    return this.handOff(await this.store.reverseTransaction({ ...req, fingerprint }));
  }

  /** Ends up to `limit` holds past their expiry and hands their events over; returns how many it ended. */
  async expireDueHolds(limit: number, now = new Date()): Promise<number> {
    const events = await this.store.expireHolds(now, limit);
    this.handOff({ events });
    return events.length;
  }

  private holdTtlSeconds(requested: bigint): number {
    if (requested < 0n) throw new ValidationError("expires_in_seconds", "must not be negative");
    if (requested === 0n) return this.holdPolicy.defaultTtlSeconds;
    if (requested > BigInt(this.holdPolicy.maxTtlSeconds)) {
      throw new ValidationError("expires_in_seconds", `must be at most ${this.holdPolicy.maxTtlSeconds}`);
    }
    return Number(requested);
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
