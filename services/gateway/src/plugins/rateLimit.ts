import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { ApiError } from "../http/apiError.js";
import type { RedisFailureReporter } from "../redis.js";

const REMAINING_HEADER = "x-ratelimit-remaining";

/**
 * Fixed-window limit in Redis, so all replicas share one budget, through the
 * plugin's own Redis store. The key is the JWT subject for callers whose token
 * was verified recently, else the client address (`request.ip`, which honours
 * TRUST_PROXY): see registerAuthentication for why unverified tokens count
 * against the address. Routes opt out with `config: { rateLimit: false }`.
 *
 * When Redis fails the request is let through (`skipOnError`, fail open): limits
 * protect capacity, not money (the wallet enforces funds and idempotency on its
 * own), and failing closed would turn a Redis outage into a full API outage.
 * A skipped count is visible to us only as "nothing counted": the store adds at
 * least 1 to every counter it answers for, so `remaining === max` means the
 * store failed, which is counted in gateway_redis_failures_total{use="rate_limit"}.
 */
export function registerRateLimit(
  app: FastifyInstance,
  opts: { redis: Redis; max: number; windowMs: number; onRedisFailure: RedisFailureReporter },
): void {
  app.register(rateLimit, {
    max: opts.max,
    timeWindow: opts.windowMs,
    redis: opts.redis,
    nameSpace: "rl:",
    skipOnError: true,
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, "RATE_LIMITED", `Rate limit exceeded, retry in ${context.after}`),
  });
  app.addHook("preParsing", async (_request, reply) => {
    if (reply.getHeader(REMAINING_HEADER) === opts.max) {
      opts.onRedisFailure("rate_limit", new Error("rate-limit counter unavailable, request let through"));
    }
  });
}
