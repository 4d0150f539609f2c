import {
  bearerToken,
  InvalidTokenError,
  KeySetUnavailableError,
  mayCredit,
  type Principal,
  type TokenVerifier,
} from "@wallet/auth";
import type { FastifyInstance, FastifyRequest, preParsingAsyncHookHandler } from "fastify";
import { ApiError } from "../http/apiError.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified caller; set for every request that reaches an API handler. */
    principal: Principal | null;
    /** The bearer token, kept for the wallet call (the caller's own credential goes upstream). */
    bearer: string | null;
  }
}

const REALM = 'Bearer realm="wallet"';

/**
 * Bearer-token authentication for the routes registered in `app`'s context.
 *
 * onRequest only recognises tokens verified recently (no cryptography), so the
 * rate limiter, which runs next, keys those callers on their subject and every
 * other request (no token, a malformed one, or one not verified yet) on the
 * client address. The signature is checked in preParsing, after the limit and
 * before any body is read: a flood of forged tokens is limited per address
 * before it costs any CPU.
 */
export function registerAuthentication(app: FastifyInstance, verifier: TokenVerifier): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("bearer", null);

  app.addHook("onRequest", async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) return;
    request.bearer = token;
    request.principal = verifier.peek(token) ?? null;
  });

  app.addHook("preParsing", async (request) => {
    if (request.principal) return;
    if (request.bearer === null) {
      const missing = request.headers.authorization === undefined;
      throw unauthorized(
        missing ? "Missing bearer token" : "Invalid bearer token",
        "malformed authorization header",
        missing,
      );
    }
    try {
      request.principal = await verifier.verify(request.bearer);
    } catch (err) {
      if (err instanceof KeySetUnavailableError) {
        throw new ApiError(
          503,
          "UNAVAILABLE",
          "Token keys are not available yet, retry later",
          { "retry-after": "5" },
          { cause: err },
        );
      }
      if (!(err instanceof InvalidTokenError)) throw err;
      throw unauthorized("Invalid bearer token", err.message, false);
    }
  });
}

function unauthorized(message: string, reason: string, missing: boolean): ApiError {
  return new ApiError(401, "UNAUTHORIZED", message, {
    "www-authenticate": missing ? REALM : `${REALM}, error="invalid_token", error_description="${reason}"`,
  });
}

/** The caller of an authenticated route (the preParsing hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError(401, "UNAUTHORIZED", "Missing bearer token");
  return request.principal;
}

/**
 * Route hook: 403 FORBIDDEN unless the caller may create money (CREDIT_SCOPE or
 * wallet:admin). Runs before the body is read and before any idempotency record.
 */
export function requireCreditScope(creditScope: string): preParsingAsyncHookHandler {
  return async (request) => {
    if (!mayCredit(principalOf(request), creditScope)) {
      throw new ApiError(403, "FORBIDDEN", `Crediting needs the ${creditScope} scope`);
    }
  };
}
