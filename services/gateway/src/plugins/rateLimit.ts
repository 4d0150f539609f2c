import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { ApiError } from "../http/apiError.js";
import type { RedisFailureReporter } from "../redis.js";

declare module "fastify" {
  interface FastifyRequest {
    /** True while the API's own limiter (apiRateLimit) is in charge of this request. */
    limitedByApi: boolean;
  }
}

export interface RateLimitOptions {
  redis: Redis;
  max: number;
  windowMs: number;
  onRedisFailure: RedisFailureReporter;
}

/**
 * Fixed-window limits in Redis, so all replicas share one budget, through the
 * plugin's own Redis store. The key is the JWT subject of a verified caller,
 * else the client address (`request.ip`, which honours TRUST_PROXY). Routes opt
 * out with `config: { rateLimit: false }`; the authenticated API routes are
 * counted by apiRateLimit instead of the plugin's own hook, because only the
 * authentication step knows when a token is valid.
 *
 * When Redis fails the request is let through (`skipOnError`, fail open): limits
 * protect capacity, not money (the wallet enforces funds and idempotency on its
 * own), and failing closed would turn a Redis outage into a full API outage.
 * A skipped count shows as "nothing counted": the store adds at least 1 to
 * every counter it answers for, so `remaining === max` after a count means the
 * store failed, counted in gateway_redis_failures_total{use="rate_limit"}.
 */
export function registerRateLimit(app: FastifyInstance, opts: RateLimitOptions): void {
  app.decorateRequest("limitedByApi", false);
  app.register(rateLimit, {
    max: opts.max,
    timeWindow: opts.windowMs,
    redis: opts.redis,
    nameSpace: "rl:",
    skipOnError: true,
    allowList: (request) => request.limitedByApi,
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, "RATE_LIMITED", `Rate limit exceeded, retry in ${context.after}`),
  });
  app.addHook("preParsing", async (request, reply) => {
    if (!request.limitedByApi && reply.getHeader("x-ratelimit-remaining") === opts.max) reportSkipped(opts);
  });
}

function reportSkipped(opts: RateLimitOptions): void {
  opts.onRedisFailure("rate_limit", new Error("rate-limit counter unavailable, request let through"));
}

/** The limits of the authenticated API, applied by registerAuthentication at the right moments. */
export interface ApiRateLimit {
  /** Marks the request as counted here, not by the plugin's own hook. */
  take(request: FastifyRequest): void;
  /**
   * Counts the request against the verified subject, or against the client
   * address when there is no verified caller (no token, a rejected one); 429
   * RATE_LIMITED when that budget is spent.
   */
  count(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** 429 RATE_LIMITED, counting nothing, when the client address has no budget left. */
  checkAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** Call from a context where registerRateLimit's plugin is loaded (it needs `createRateLimit`). */
export function apiRateLimit(app: FastifyInstance, opts: RateLimitOptions): ApiRateLimit {
  const limiter = app.createRateLimit();
  // The plugin's allowList keeps its own hook off these requests; lift it while this limiter counts.
  const run = async (request: FastifyRequest, increment: boolean) => {
    request.limitedByApi = false;
    try {
      return await limiter(request, { increment });
    } finally {
      request.limitedByApi = true;
    }
  };
  const refuse = (ttlInSeconds: number) =>
    new ApiError(429, "RATE_LIMITED", `Rate limit exceeded, retry in ${ttlInSeconds} seconds`, {
      "retry-after": String(ttlInSeconds),
    });
  return {
    take: (request) => {
      request.limitedByApi = true;
    },
    count: async (request, reply) => {
      const limit = await run(request, true);
      if (limit.isAllowed) return;
      if (limit.remaining === opts.max) return reportSkipped(opts);
      reply.header("x-ratelimit-limit", limit.max);
      reply.header("x-ratelimit-remaining", limit.remaining);
      reply.header("x-ratelimit-reset", limit.ttlInSeconds);
      if (limit.isExceeded) throw refuse(limit.ttlInSeconds);
    },
    checkAddress: async (request, reply) => {
      const limit = await run(request, false);
      if (limit.isAllowed || limit.remaining > 0) return;
      reply.header("x-ratelimit-limit", limit.max);
      reply.header("x-ratelimit-remaining", 0);
      reply.header("x-ratelimit-reset", limit.ttlInSeconds);
      throw refuse(limit.ttlInSeconds);
    },
  };
}
