import type { FastifyError, FastifyInstance } from "fastify";
import { takeDeferredCount } from "../plugins/rateLimit.js";
import { ApiError, type ErrorCode } from "./apiError.js";
import { describeValidationError } from "./validation.js";

const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "PAYLOAD_TOO_LARGE", message: "Body is too large" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: "Content-Type must be application/json",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: "VALIDATION_FAILED", message: "Body is empty" },
};

/** Builds the error envelope; the one shape every failure reaches the client in. */
export function errorBody(code: ErrorCode, message: string, requestId: string) {
  return { error: { code, message, requestId } };
}

/**
 * Turns every error into the `{error: {code, message, requestId}}` envelope.
 * Known errors keep their message; anything else becomes a generic 500 and its
 * details (stack included) go only to the log. A request whose rate-limit count
 * was held back for its Idempotency-Key claim, and that failed before the claim
 * (a bad body), is counted here: over the limit its answer is 429, as it would
 * have been had it been counted on arrival.
 */
export function registerErrorEnvelope(app: FastifyInstance): void {
  app.setErrorHandler(async (failure: FastifyError, request, reply) => {
    let error = failure;
    await takeDeferredCount(request)?.catch((limited: FastifyError) => {
      error = limited;
    });
    const { status, code, message, headers } = classify(error);
    if (!(error instanceof ApiError)) {
      if (status >= 500) request.log.error({ err: error }, "request failed");
    } else if (status >= 500) {
      // The err serializer prints the cause chain (the gRPC error) with its stack.
      request.log.warn({ err: error, code }, "request failed");
    }
    return reply
      .code(status)
      .headers(headers ?? {})
      .send(errorBody(code, message, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(
        errorBody("NOT_FOUND", `Route ${request.method} ${request.url.split("?")[0]} not found`, request.id),
      );
  });
}

function classify(error: FastifyError): {
  status: number;
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
} {
  if (error instanceof ApiError) {
    return { status: error.statusCode, code: error.code, message: error.message, headers: error.headers };
  }
  if (error.validation) {
    return {
      status: 400,
      code: "VALIDATION_FAILED",
      message: describeValidationError(error.validation, error.validationContext),
    };
  }
  const known = FASTIFY_CODES[error.code];
  if (known) return { status: known.status, code: known.code, message: known.message };
  const status = error.statusCode ?? 500;
  if (status < 500 && status >= 400) {
    // Fastify's own 4xx errors (bad content length, ...) carry safe messages.
    return { status, code: status === 404 ? "NOT_FOUND" : "VALIDATION_FAILED", message: error.message };
  }
  return { status: 500, code: "INTERNAL", message: "Internal server error" };
}
