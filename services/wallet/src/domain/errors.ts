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

/** Base of every error the wallet reports to its callers on purpose; `name` is the class's name. */
export abstract class WalletError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A class of errors that carry `code` and, unless given one, `defaultMessage`. */
function walletError(code: ErrorCode, defaultMessage: string) {
  return class extends WalletError {
    constructor(message = defaultMessage, options?: ErrorOptions) {
      super(code, message, options);
    }
  };
}

export class ValidationError extends WalletError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("VALIDATION_FAILED", `${field}: ${message}`);
  }
}

/** No bearer token, or one that was not accepted. */
export class UnauthenticatedError extends walletError("UNAUTHORIZED", "Not authenticated") {}

/** An authenticated caller without the scope the operation needs (crediting). */
export class PermissionDeniedError extends walletError("FORBIDDEN", "Permission denied") {}

export class WalletNotFoundError extends walletError("WALLET_NOT_FOUND", "Wallet not found") {}

export class HoldNotFoundError extends walletError("HOLD_NOT_FOUND", "Hold not found") {}

/** The hold has already been captured, voided or expired. */
export class HoldNotPendingError extends WalletError {
  constructor(status: string) {
    super("HOLD_NOT_PENDING", `Hold is ${status.toLowerCase()}, not pending`);
  }
}

/** A capture above the hold's amount, or a reversal above what is left of the original. */
export class AmountExceedsRemainingError extends walletError(
  "AMOUNT_EXCEEDS_REMAINING",
  "Amount exceeds what remains",
) {}

export class NotReversibleError extends walletError("NOT_REVERSIBLE", "The transaction cannot be reversed") {}

export class WalletExistsError extends WalletError {
  constructor(currency: string) {
    super("WALLET_EXISTS", `Wallet for ${currency} already exists`);
  }
}

export class InsufficientFundsError extends walletError("INSUFFICIENT_FUNDS", "Insufficient funds") {}

export class CurrencyMismatchError extends walletError(
  "CURRENCY_MISMATCH",
  "Wallets have different currencies",
) {}

export class ConcurrentUpdateError extends walletError("CONCURRENT_UPDATE", "Balance changed concurrently") {}

export class IdempotencyKeyReusedError extends walletError(
  "IDEMPOTENCY_KEY_REUSED",
  "Idempotency key was already used for a different request",
) {}

/** The store (or another dependency) cannot be reached; the caller may retry. */
export class StoreUnavailableError extends walletError("UNAVAILABLE", "Service temporarily unavailable") {}

/** The row changed under every bounded retry: nothing was applied and the caller may try again. */
export class BusyError extends StoreUnavailableError {
  constructor(what: "Wallet" | "Hold" = "Wallet") {
    super(`${what} busy, retry shortly`);
  }
}

/** A transaction that is not one of the caller's (reported under WALLET_NOT_FOUND). */
export class TransactionNotFoundError extends WalletNotFoundError {
  constructor() {
    super("Transaction not found");
  }
}

/** The caller has gone (cancelled, or its deadline passed): the work stops before anything commits. */
export class CallAbortedError extends StoreUnavailableError {
  constructor() {
    super("The call was cancelled or its deadline passed");
  }
}
