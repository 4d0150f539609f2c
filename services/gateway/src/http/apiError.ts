import type { ErrorCode } from "@wallet/contracts";

/** Machine-readable error codes of the gateway's error envelope: the proto's `ErrorReason` names. */
export type { ErrorCode };

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
