import type { FastifyInstance } from "fastify";
import { ApiError } from "../http/apiError.js";
import type { IdempotencyStore } from "../idempotency/idempotencyStore.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RedisFailureReporter } from "../redis.js";
import { principalOf } from "./authentication.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route honours Idempotency-Key (whether it is required is up to the route's header
     * schema); the function fingerprints its validated body and path parameters
     * (idempotency/fingerprint.ts): a key used on /api/holds/A/void is not a replay on /api/holds/B/void.
     */
    idempotent?: (body: unknown, params: unknown) => string;
  }
  interface FastifyRequest {
    idempotencyClaim: { redisKey: string; token: string; fingerprint: string } | null;
  }
}

export const REPLAYED_HEADER = "idempotent-replayed";

// 401, 403 and 429 are about the credential or the caller's budget, not the request, and 5xx may be
// transient: a retry (with a better token, later) must run again.
function isReplayable(status: number): boolean {
  return (
    (status >= 200 && status < 300) ||
    (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429)
  );
}

/**
 * Idempotency-Key handling for routes with `config.idempotent`. The first
 * request with a key claims it; a repeat of the same request gets the stored
 * response byte for byte (`Idempotent-Replayed: true`), or 409 + Retry-After
 * while the first is still running; the same key with another request is 422.
 * The record is written in onSend, before the client sees the response.
 *
 * If Redis is unavailable the request goes on without a record: the key is
 * still passed to the wallet, which refuses to apply it twice.
 */
export function registerIdempotency(
  app: FastifyInstance,
  deps: { store: IdempotencyStore; metrics: GatewayMetrics; onRedisFailure: RedisFailureReporter },
): void {
  const { store, metrics, onRedisFailure } = deps;
  app.decorateRequest("idempotencyClaim", null);

  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers["idempotency-key"];
    const fingerprintOf = request.routeOptions.config.idempotent;
    if (!fingerprintOf || typeof key !== "string") return;
    const fingerprint = fingerprintOf(request.body, request.params);
    let claim: Awaited<ReturnType<IdempotencyStore["claim"]>>;
    try {
      claim = await store.claim(principalOf(request).sub, key, fingerprint);
    } catch (err) {
      onRedisFailure("idempotency", err);
      return;
    }
    metrics.idempotency.inc({ outcome: claim.kind });
    switch (claim.kind) {
      case "claimed":
        request.idempotencyClaim = { redisKey: claim.redisKey, token: claim.token, fingerprint };
        return;
      case "reused":
        throw new ApiError(
          422,
          "IDEMPOTENCY_KEY_REUSED",
          "Idempotency-Key was already used for a different request",
        );
      case "in_flight":
        throw new ApiError(
          409,
          "IDEMPOTENCY_IN_FLIGHT",
          "A request with this Idempotency-Key is in progress",
          {
            "retry-after": "1",
          },
        );
      case "replay":
        return reply
          .code(claim.response.status)
          .header("content-type", claim.response.contentType)
          .header(REPLAYED_HEADER, "true")
          .send(claim.response.body);
    }
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = null;
    try {
      if (isReplayable(reply.statusCode) && typeof payload === "string") {
        await store.complete(claim, claim.fingerprint, {
          status: reply.statusCode,
          contentType: String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
          body: payload,
        });
      } else {
        await store.release(claim);
      }
    } catch (err) {
      onRedisFailure("idempotency", err);
    }
    return payload;
  });
}
