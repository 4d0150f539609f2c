import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import { encodeErrorDetails, STATUS_DETAILS_KEY } from "@wallet/contracts";
import { type ErrorCode, WalletError } from "../domain/errors.js";

const STATUS_BY_CODE: Record<ErrorCode, status> = {
  VALIDATION_FAILED: status.INVALID_ARGUMENT,
  UNAUTHORIZED: status.UNAUTHENTICATED,
  FORBIDDEN: status.PERMISSION_DENIED,
  WALLET_NOT_FOUND: status.NOT_FOUND,
  WALLET_EXISTS: status.ALREADY_EXISTS,
  INSUFFICIENT_FUNDS: status.FAILED_PRECONDITION,
  CURRENCY_MISMATCH: status.FAILED_PRECONDITION,
  CONCURRENT_UPDATE: status.ABORTED,
  IDEMPOTENCY_KEY_REUSED: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  HOLD_NOT_FOUND: status.NOT_FOUND,
  HOLD_NOT_PENDING: status.FAILED_PRECONDITION,
  AMOUNT_EXCEEDS_REMAINING: status.FAILED_PRECONDITION,
  NOT_REVERSIBLE: status.FAILED_PRECONDITION,
};

/**
 * The one place where errors become gRPC statuses. Domain errors keep their
 * message; anything else becomes a generic INTERNAL (details go to the log only).
 * The machine code travels as a `google.rpc.ErrorInfo` (reason = code, domain
 * "wallet.v1") inside a `google.rpc.Status` in the `grpc-status-details-bin` trailer.
 */
export function errorStatus(err: unknown): StatusObject & { errorCode: string } {
  const [code, details, errorCode] =
    err instanceof WalletError
      ? [STATUS_BY_CODE[err.code], err.message, err.code]
      : [status.INTERNAL, "Internal error", "INTERNAL" as const];
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeErrorDetails(code, details, errorCode));
  return { code, details, metadata, errorCode };
}
