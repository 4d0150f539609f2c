import { status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { decodeErrorCode, STATUS_DETAILS_KEY } from "@wallet/contracts";
import { ApiError, type ErrorCode } from "../http/apiError.js";

const HTTP_STATUS: Partial<Record<ErrorCode, { status: number; message: string }>> = {
  VALIDATION_FAILED: { status: 400, message: "Request is invalid" },
  UNAUTHORIZED: { status: 401, message: "Token not accepted by the wallet service" },
  FORBIDDEN: { status: 403, message: "Not allowed" },
  WALLET_NOT_FOUND: { status: 404, message: "Wallet not found" },
  WALLET_EXISTS: { status: 409, message: "Wallet already exists for this currency" },
  INSUFFICIENT_FUNDS: { status: 409, message: "Insufficient funds" },
  CURRENCY_MISMATCH: { status: 409, message: "Currency mismatch" },
  CONCURRENT_UPDATE: { status: 409, message: "Balance changed concurrently" },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: "Idempotency key was used for a different request" },
  HOLD_NOT_FOUND: { status: 404, message: "Hold not found" },
  HOLD_NOT_PENDING: { status: 409, message: "Hold is not pending" },
  AMOUNT_EXCEEDS_REMAINING: { status: 409, message: "Amount exceeds what remains" },
  NOT_REVERSIBLE: { status: 409, message: "Transaction cannot be reversed" },
  UNAVAILABLE: { status: 503, message: "Wallet service unavailable" },
  TIMEOUT: { status: 504, message: "Wallet service timed out" },
  INTERNAL: { status: 500, message: "Internal server error" },
};

// Used when the wallet (or the channel itself) gave no ErrorInfo the gateway maps.
const BY_GRPC_STATUS: Partial<Record<GrpcStatus, ErrorCode>> = {
  [GrpcStatus.INVALID_ARGUMENT]: "VALIDATION_FAILED",
  [GrpcStatus.UNAUTHENTICATED]: "UNAUTHORIZED",
  [GrpcStatus.PERMISSION_DENIED]: "FORBIDDEN",
  [GrpcStatus.NOT_FOUND]: "WALLET_NOT_FOUND",
  [GrpcStatus.ALREADY_EXISTS]: "WALLET_EXISTS",
  [GrpcStatus.ABORTED]: "CONCURRENT_UPDATE",
  [GrpcStatus.UNAVAILABLE]: "UNAVAILABLE",
  [GrpcStatus.DEADLINE_EXCEEDED]: "TIMEOUT",
};

/**
 * The one mapping from a wallet gRPC failure to the gateway's HTTP error
 * (the error table in docs/architecture.md). The machine code comes from the ErrorInfo
 * (domain "wallet.v1") in the `grpc-status-details-bin` trailer, else from the status; business errors keep the wallet's user-facing
 * message, server-side failures get a fixed text so no internals leak.
 */
export function toApiError(err: ServiceError): ApiError {
  const reason = decodeErrorCode(err.metadata?.get(STATUS_DETAILS_KEY)[0]);
  const code: ErrorCode =
    reason && reason in HTTP_STATUS ? reason : (BY_GRPC_STATUS[err.code as GrpcStatus] ?? "INTERNAL");
  const { status, message } = HTTP_STATUS[code]!;
  const userMessage = status < 500 && err.details ? err.details : message;
  // Nothing was applied (or a retry with the same Idempotency-Key replays what was): come back shortly.
  const headers: Record<string, string> = code === "UNAVAILABLE" ? { "retry-after": "1" } : {};
  return new ApiError(status, code, userMessage, headers, { cause: err });
}
