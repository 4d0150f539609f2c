import type { FastifyInstance, FastifyRequest } from "fastify";
import { InvalidTokenError, type Principal, type TokenVerifier } from "../auth/tokenVerifier.js";
import { ApiError } from "../http/apiError.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The verified caller; set for every request that reaches an API handler. */
    principal: Principal | null;
    /** Why the bearer token was not accepted, when it was not. */
    authFailure: string | null;
  }
}

const REALM = 'Bearer realm="wallet"';

/**
 * Bearer-token authentication for the routes registered in `app`'s context.
 * The token is verified in onRequest without failing, so the rate limiter
 * (which runs next) can key on the subject or fall back to the client IP; the
 * 401 is raised in preParsing, before any body is read.
 */
export function registerAuthentication(app: FastifyInstance, verify: TokenVerifier): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("authFailure", null);

  app.addHook("onRequest", async (request) => {
    const token = bearerToken(request);
    if (token === undefined) {
      request.authFailure = "missing";
      return;
    }
    try {
      request.principal = await verify(token);
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      request.authFailure = err.message;
    }
  });

  app.addHook("preParsing", async (request) => {
    if (request.principal) return;
    const missing = request.authFailure === "missing";
    throw new ApiError(401, "UNAUTHORIZED", missing ? "Missing bearer token" : "Invalid bearer token", {
      "www-authenticate": missing
        ? REALM
        : `${REALM}, error="invalid_token", error_description="${request.authFailure}"`,
    });
  });
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match ? match[1] : "";
}

/** The caller of an authenticated route (the preParsing hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError(401, "UNAUTHORIZED", "Missing bearer token");
  return request.principal;
}
