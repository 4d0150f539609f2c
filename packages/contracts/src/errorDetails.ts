import { ErrorInfo } from "./gen/google/rpc/error_details.js";
import { Status } from "./gen/google/rpc/status.js";
import { ErrorReason } from "./gen/wallet/v1/errors.js";

export { ErrorReason } from "./gen/wallet/v1/errors.js";

/** A machine-readable error code: an `ErrorReason` value name without its prefix. */
export type ErrorCode = {
  [K in keyof typeof ErrorReason]: K extends `ERROR_REASON_${infer Code}`
    ? Code extends "UNSPECIFIED"
      ? never
      : Code
    : never;
}[keyof typeof ErrorReason];

/** The `ErrorInfo.domain` of every error the wallet service reports. */
export const ERROR_DOMAIN = "wallet.v1";

/** The gRPC trailer that carries a serialized `google.rpc.Status` with its details. */
export const STATUS_DETAILS_KEY = "grpc-status-details-bin";

const ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";

/** Whether `value` names an `ErrorReason` (without the prefix). */
export function isErrorCode(value: string): value is ErrorCode {
  return value !== "UNSPECIFIED" && `ERROR_REASON_${value}` in ErrorReason;
}

/**
 * The `grpc-status-details-bin` value for a failure: a `google.rpc.Status` with the same
 * code and message as the gRPC status, and one `ErrorInfo` naming the reason.
 */
export function encodeErrorDetails(grpcCode: number, message: string, code: ErrorCode): Buffer {
  const info = ErrorInfo.encode({ reason: code, domain: ERROR_DOMAIN, metadata: {} }).finish();
  const status = Status.encode({
    code: grpcCode,
    message,
    details: [{ typeUrl: ERROR_INFO_TYPE_URL, value: Buffer.from(info) }],
  }).finish();
  return Buffer.from(status);
}

/** The `ErrorInfo` in a `grpc-status-details-bin` value, or undefined if it has none or is not one. */
export function decodeErrorInfo(bin: unknown): ErrorInfo | undefined {
  if (!(bin instanceof Uint8Array)) return undefined;
  try {
    const any = Status.decode(bin).details.find((d) => d.typeUrl === ERROR_INFO_TYPE_URL);
    return any ? ErrorInfo.decode(any.value) : undefined;
  } catch {
    return undefined;
  }
}

/** The wallet's error code in a `grpc-status-details-bin` value, if it carries a known one. */
export function decodeErrorCode(bin: unknown): ErrorCode | undefined {
  const info = decodeErrorInfo(bin);
  return info?.domain === ERROR_DOMAIN && isErrorCode(info.reason) ? info.reason : undefined;
}
