import type { ErrorCode as ReasonCode } from "@wallet/contracts";

/**
 * The machine-readable reasons the wallet reports: a subset of the proto's `ErrorReason`
 * (shared with the gateway's error envelope), so a code cannot exist here and not there.
 */
export type ErrorCode = Extract<
  ReasonCode,
  | "VALIDATION_FAILED"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "WALLET_NOT_FOUND"
  | "WALLET_EXISTS"
  | "INSUFFICIENT_FUNDS"
  | "CURRENCY_MISMATCH"
  | "CONCURRENT_UPDATE"
  | "IDEMPOTENCY_KEY_REUSED"
  | "UNAVAILABLE"
  | "HOLD_NOT_FOUND"
  | "HOLD_NOT_PENDING"
  | "AMOUNT_EXCEEDS_REMAINING"
  | "NOT_REVERSIBLE"
>;

/** Base of every error the wallet reports to its callers on purpose. */
export abstract class WalletError extends Error {
  abstract readonly code: ErrorCode;
}

export class ValidationError extends WalletError {
  override name = "ValidationError";
  readonly code = "VALIDATION_FAILED";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** No bearer token, or one that was not accepted. */
export class UnauthenticatedError extends WalletError {
  override name = "UnauthenticatedError";
  readonly code = "UNAUTHORIZED";
}

/** An authenticated caller without the scope the operation needs (crediting). */
export class PermissionDeniedError extends WalletError {
  override name = "PermissionDeniedError";
  readonly code = "FORBIDDEN";
}

export class WalletNotFoundError extends WalletError {
  override name = "WalletNotFoundError";
  readonly code = "WALLET_NOT_FOUND";
  constructor(message = "Wallet not found") {
    super(message);
  }
}

export class HoldNotFoundError extends WalletError {
  override name = "HoldNotFoundError";
  readonly code = "HOLD_NOT_FOUND";
  constructor(message = "Hold not found") {
    super(message);
  }
}

/** The hold has already been captured, voided or expired. */
export class HoldNotPendingError extends WalletError {
  override name = "HoldNotPendingError";
  readonly code = "HOLD_NOT_PENDING";
  constructor(status: string) {
    super(`Hold is ${status.toLowerCase()}, not pending`);
  }
}

/** A capture above the hold's amount, or a reversal above what is left of the original. */
export class AmountExceedsRemainingError extends WalletError {
  override name = "AmountExceedsRemainingError";
  readonly code = "AMOUNT_EXCEEDS_REMAINING";
}

export class NotReversibleError extends WalletError {
  override name = "NotReversibleError";
  readonly code = "NOT_REVERSIBLE";
}

export class WalletExistsError extends WalletError {
  override name = "WalletExistsError";
  readonly code = "WALLET_EXISTS";
  constructor(currency: string) {
    super(`Wallet for ${currency} already exists`);
  }
}

export class InsufficientFundsError extends WalletError {
  override name = "InsufficientFundsError";
  readonly code = "INSUFFICIENT_FUNDS";
  constructor() {
    super("Insufficient funds");
  }
}

export class CurrencyMismatchError extends WalletError {
  override name = "CurrencyMismatchError";
  readonly code = "CURRENCY_MISMATCH";
  constructor() {
    super("Wallets have different currencies");
  }
}

export class ConcurrentUpdateError extends WalletError {
  override name = "ConcurrentUpdateError";
  readonly code = "CONCURRENT_UPDATE";
  constructor() {
    super("Balance changed concurrently");
  }
}

export class IdempotencyKeyReusedError extends WalletError {
  override name = "IdempotencyKeyReusedError";
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  constructor() {
    super("Idempotency key was already used for a different request");
  }
}

/** The store (or another dependency) cannot be reached; the caller may retry. */
export class StoreUnavailableError extends WalletError {
  override name = "StoreUnavailableError";
  readonly code = "UNAVAILABLE";
  constructor(message = "Service temporarily unavailable", options?: ErrorOptions) {
    super(message, options);
  }
}
