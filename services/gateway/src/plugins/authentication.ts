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
import type { ApiRateLimit } from "./rateLimit.js";

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
 * Bearer-token authentication and rate limits for the routes registered in
 * `app`'s context, in an order that keeps forged tokens cheap:
 *
 * - onRequest recognises tokens verified recently (no cryptography) and counts
 *   those requests against their subject. A request without a token is counted
 *   against the client address. A token not verified yet is only checked
 *   against the address's budget (429 when spent), counting nothing.
 * - preParsing, before any body is read, verifies the signature: a valid token
 *   is counted against its subject, a rejected one against the client address
 *   (then 401). So requests without a valid token are limited per address before
 *   their signature is checked, and valid callers never use the address's budget.
 *
 * The count of a verified caller shares its Redis round trip with the route's
 * own Redis work: the history lookup is sent with it, and on routes that claim
 * an Idempotency-Key the count waits for the claim (after the body is read).
 */
export function registerAuthentication(
  app: FastifyInstance,
  verifier: TokenVerifier,
  limits: ApiRateLimit,
): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("bearer", null);

  app.addHook("onRequest", async (request, reply) => {
    limits.take(request);
    const token = bearerToken(request.headers.authorization);
    if (token) {
      request.bearer = token;
      request.principal = verifier.peek(token) ?? null;
    }
    if (request.principal || request.bearer === null) await limits.count(request, reply);
    else await limits.checkAddress(request, reply);
  });

  app.addHook("preParsing", async (request, reply) => {
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
      await limits.count(request, reply);
      throw unauthorized("Invalid bearer token", err.message, false);
    }
    await limits.count(request, reply);
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
