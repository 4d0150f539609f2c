import type {
  BalanceChange,
  CaptureResult,
  DebitChange,
  Hold,
  HoldCapture,
  HoldPlacement,
  HoldRelease,
  HoldResult,
  MutationResult,
  OutboxEvent,
  ReversalRequest,
  ReversalResult,
  Transaction,
  TransferChange,
  TransferResult,
  Wallet,
} from "../domain/model.js";

/** A place in a wallet's holds, newest first: holds strictly older than this one come next. */
export interface HoldPosition {
  createdAt: Date;
  id: string;
}

/**
 * The wallet's storage port. Both adapters (PostgreSQL, MongoDB) pass the same
 * conformance suite (test/storeConformance.ts). Every mutation commits the
 * balance change, its transaction row(s) and one outbox event per transaction
 * atomically. Errors are the domain errors of domain/errors.ts; a store that
 * cannot be reached raises StoreUnavailableError.
 *
 * Ids passed in have been validated for shape only: an id that is not one this
 * store issued must be reported as not found, never as a driver error.
 */
export interface WalletStore {
  /** Creates the schema/indexes if missing. Idempotent. */
  migrate(): Promise<void>;
  /** Throws WalletExistsError when the owner already has a wallet in that currency. */
  createWallet(input: { ownerId: string; currency: string; ownerEmail: string }): Promise<Wallet>;
  /** The owner's wallet, or null when missing or owned by someone else. */
  getWallet(ownerId: string, walletId: string): Promise<Wallet | null>;
  listWallets(ownerId: string): Promise<Wallet[]>;
  credit(change: BalanceChange): Promise<MutationResult>;
  /** Throws InsufficientFundsError, or ConcurrentUpdateError when expectedVersion is stale. */
  debit(change: DebitChange): Promise<MutationResult>;
  /** The from-wallet must be the owner's; the to-wallet may be anyone's. */
  transfer(change: TransferChange): Promise<TransferResult>;
  /**
   * Newest first: transactions with walletVersion < beforeVersion (all when undefined).
   * Null when the wallet is missing or not the owner's.
   */
  listTransactions(
    ownerId: string,
    walletId: string,
    limit: number,
    beforeVersion?: bigint,
  ): Promise<Transaction[] | null>;
  getTransaction(ownerId: string, transactionId: string): Promise<Transaction | null>;
  /**
   * Reserves `amount` of the wallet's available funds (InsufficientFundsError otherwise):
   * heldBalance grows, balance does not; one HoldEvent (PENDING). Idempotent per
   * (owner, key) among holds: a replay returns the hold as it is now.
   */
  placeHold(placement: HoldPlacement): Promise<HoldResult>;
  /**
   * Ends a PENDING hold as CAPTURED: a DEBIT of the captured amount, or a transfer into
   * the destination wallet (CurrencyMismatchError, WalletNotFoundError), with holdId set
   * on the transaction(s); the rest is released. HoldNotFoundError, HoldNotPendingError
   * when it has ended (or is past its expiry: it is then expired in the same commit),
   * AmountExceedsRemainingError above the hold's amount. Events: the transaction(s) and
   * one HoldEvent (CAPTURED).
   */
  captureHold(capture: HoldCapture): Promise<CaptureResult>;
  /** Ends a PENDING hold as VOIDED, releasing it; errors and expiry as for captureHold. */
  voidHold(release: HoldRelease): Promise<HoldResult>;
  /** The hold, or null when missing or on a wallet of another owner. */
  getHold(ownerId: string, holdId: string): Promise<Hold | null>;
  /** Newest first, after `after` when given; null when the wallet is missing or not the owner's. */
  listHolds(ownerId: string, walletId: string, limit: number, after?: HoldPosition): Promise<Hold[] | null>;
  /**
   * Ends up to `limit` PENDING holds whose expiry is at or before `now` as EXPIRED, each
   * exactly once even with several replicas sweeping, and returns their HoldEvents.
   */
  expireHolds(now: Date, limit: number): Promise<OutboxEvent[]>;
  /**
   * Reverses a CREDIT, DEBIT or TRANSFER_IN (both legs of its transfer, atomically), in
   * full or in part, as new transaction(s) with reversalOf set, and adds the amount to
   * the original's reversedAmount. Errors: WalletNotFoundError (missing or not the
   * owner's), NotReversibleError (a reversal or a TRANSFER_OUT leg),
   * PermissionDeniedError (a DEBIT without mayCredit), AmountExceedsRemainingError,
   * InsufficientFundsError (taking money back needs available funds).
   */
  reverseTransaction(request: ReversalRequest): Promise<ReversalResult>;
  /** How the relay finds the events to publish: see OutboxClaims and OutboxLog. */
  readonly outbox: OutboxClaims | OutboxLog;
  /** Events committed and not yet recorded as published. */
  countUnpublished(): Promise<number>;
  /**
   * Deletes up to `limit` published events created before `createdBefore`, skipping
   * rows another transaction holds (it never waits for a lock), and returns how many it
   * deleted. Unpublished events are never deleted, whatever their age.
   */
  pruneOutbox(createdBefore: Date, limit: number): Promise<number>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Per-row publish state (MongoDB): each row carries a pending flag that is
 * cleared after its PubAck; sweepers on several replicas lease disjoint rows.
 */
export interface OutboxClaims {
  kind: "claims";
  /**
   * Claims up to `limit` unpublished events created at least `minAgeMs` ago and not
   * claimed by anyone in the last `leaseMs`, so that replicas sweep disjoint rows.
   */
  claimUnpublished(limit: number, minAgeMs: number, leaseMs: number): Promise<OutboxEvent[]>;
  markPublished(eventIds: string[]): Promise<void>;
}

/** A place in the outbox's commit order; opaque to the relay. */
export interface OutboxPosition {
  xactId: string;
  seq: string;
}

/**
 * An append-only log with one cursor (PostgreSQL): rows are never updated; one
 * replica at a time holds a lease on the cursor, publishes the rows after it in
 * order and moves it forward. Events published twice (after a crash or a lost
 * lease) are dropped by the stream's duplicate window.
 */
export interface OutboxLog {
  kind: "log";
  /** Takes or renews the cursor lease for `owner`: the cursor when held, null when another replica holds it. */
  acquire(owner: string, leaseMs: number): Promise<OutboxPosition | null>;
  /**
   * The ids and positions of up to `limit` events after `after`, in commit order, and
   * only once no transaction that could still add a row before them is running: a
   * row never shows up behind a position already returned.
   */
  readAfter(
    after: OutboxPosition,
    limit: number,
  ): Promise<Array<{ position: OutboxPosition; eventId: string }>>;
  /** The events with these ids (rows after the cursor; any order). */
  events(eventIds: string[]): Promise<OutboxEvent[]>;
  /** Moves the cursor forward to `to` and renews the lease; false when `owner` no longer holds it. */
  advance(owner: string, to: OutboxPosition, leaseMs: number): Promise<boolean>;
  /** Gives the lease up so another replica can take over at once. */
  release(owner: string): Promise<void>;
}
