import { Metadata, type StatusObject, status } from "@grpc/grpc-js";
import { type ErrorCode, WalletError } from "../domain/errors.js";

/** The trailing metadata key that carries the machine-readable error code. */
export const ERROR_CODE_KEY = "error-code";

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
};

/**
 * The one place where errors become gRPC statuses. Domain errors keep their
 * message; anything else becomes a generic INTERNAL (details go to the log only).
 */
export function errorStatus(err: unknown): StatusObject & { errorCode: string } {
  const metadata = new Metadata();
  if (err instanceof WalletError) {
    metadata.set(ERROR_CODE_KEY, err.code);
    return { code: STATUS_BY_CODE[err.code], details: err.message, metadata, errorCode: err.code };
  }
  metadata.set(ERROR_CODE_KEY, "INTERNAL");
  return { code: status.INTERNAL, details: "Internal error", metadata, errorCode: "INTERNAL" };
}
