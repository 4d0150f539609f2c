import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApiError } from "../http/apiError.js";
import type { IdempotencyStore } from "../idempotency/idempotencyStore.js";
import type { GatewayMetrics } from "../metrics.js";
import type { RedisFailureReporter } from "../redis.js";
import { principalOf } from "./authentication.js";
import { takeDeferredCount } from "./rateLimit.js";

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
    /** Redis writes the handler queued (sendBeforeReply), sent with the idempotency record. */
    redisBeforeReply: (() => Promise<void>)[] | null;
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
 *
 * Round trips: the claim goes to Redis together with the request's rate-limit
 * count (held back for it by apiRateLimit), and the record together with the
 * writes the handler queued with sendBeforeReply (cache invalidation).
 */
export function registerIdempotency(
  app: FastifyInstance,
  deps: { store: IdempotencyStore; metrics: GatewayMetrics; onRedisFailure: RedisFailureReporter },
): void {
  const { store, metrics, onRedisFailure } = deps;
  app.decorateRequest("idempotencyClaim", null);
  app.decorateRequest("redisBeforeReply", null);

  app.addHook("preHandler", async (request, reply) => {
    const key = request.headers["idempotency-key"];
    const fingerprintOf = request.routeOptions.config.idempotent;
    // Sent now: the claim below joins it in the same round trip.
    const counted = takeDeferredCount(request);
    if (!fingerprintOf || typeof key !== "string") return counted ?? undefined;
    const fingerprint = fingerprintOf(request.body, request.params);
    const claiming = store.claim(principalOf(request).sub, key, fingerprint).then(
      (claim) => ({ claim }),
      (failed: unknown) => ({ failed }),
    );
    if (counted) {
      try {
        await counted;
      } catch (limited) {
        // Over the limit: the request is refused as if it had never claimed the key.
        const outcome = await claiming;
        if ("claim" in outcome && outcome.claim.kind === "claimed") {
          await store.release(outcome.claim).catch((err) => onRedisFailure("idempotency", err));
        }
        throw limited;
      }
    }
    const outcome = await claiming;
    if ("failed" in outcome) {
      onRedisFailure("idempotency", outcome.failed);
      return;
    }
    const { claim } = outcome;
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
    const queued = request.redisBeforeReply;
    const claim = request.idempotencyClaim;
    if (!queued && !claim) return payload;
    request.redisBeforeReply = null;
    request.idempotencyClaim = null;
    // Everything is sent before the first await: one round trip.
    const sent = queued ? queued.map((write) => write()) : [];
    if (claim) sent.push(record(claim, reply.statusCode, payload, reply));
    await Promise.all(sent);
    return payload;
  });

  const record = async (
    claim: { redisKey: string; token: string; fingerprint: string },
    status: number,
    payload: unknown,
    reply: { getHeader(name: string): unknown },
  ): Promise<void> => {
    try {
      if (isReplayable(status) && typeof payload === "string") {
        await store.complete(claim, claim.fingerprint, {
          status,
          contentType: String(reply.getHeader("content-type") ?? "application/json; charset=utf-8"),
          body: payload,
        });
      } else {
        await store.release(claim);
      }
    } catch (err) {
      onRedisFailure("idempotency", err);
    }
  };
}

/**
 * Queues a Redis write that must be made before the reply goes out; it is sent together with
 * the idempotency record, in one round trip. `write` must send its commands before its first
 * await and never reject.
 */
export function sendBeforeReply(request: FastifyRequest, write: () => Promise<void>): void {
  if (request.redisBeforeReply) request.redisBeforeReply.push(write);
  else request.redisBeforeReply = [write];
}
