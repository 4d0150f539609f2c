/** Machine-readable error codes of the gateway's error envelope. */
export type ErrorCode =
  | "VALIDATION_FAILED"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "WALLET_NOT_FOUND"
  | "WALLET_EXISTS"
  | "INSUFFICIENT_FUNDS"
  | "CURRENCY_MISMATCH"
  | "CONCURRENT_UPDATE"
  | "IDEMPOTENCY_KEY_REUSED"
  | "IDEMPOTENCY_IN_FLIGHT"
  | "RATE_LIMITED"
  | "NOT_FOUND"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNAVAILABLE"
  | "TIMEOUT"
  | "INTERNAL";

/**
 * An error the client is meant to see: status, code and message go into the
 * `{error: {code, message, requestId}}` envelope as they are; `headers` are added to the reply.
 */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
