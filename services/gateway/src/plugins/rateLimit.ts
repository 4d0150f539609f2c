import { createRequire } from "node:module";
import rateLimit, { type RateLimitPluginOptions } from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { ApiError } from "../http/apiError.js";
import type { RedisFailureReporter } from "../redis.js";

type Incr = (
  key: string,
  callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
  timeWindow: number,
  max: number,
) => void;

interface RedisStore {
  incr: Incr;
  child(routeOptions: unknown): RedisStore;
}

// The plugin's own Redis store (what its `redis` option uses); it ships without type declarations.
const RedisStore: new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  redis: Redis,
  key?: string,
) => RedisStore = createRequire(import.meta.url)("@fastify/rate-limit/store/RedisStore.js");

/**
 * Fixed-window limit per caller (JWT subject, else client IP) in Redis, so all
 * replicas share one budget. Routes opt out with `config: { rateLimit: false }`.
 *
 * When Redis fails the request is let through (fail open) and the failure is
 * counted and logged: limits protect capacity, not money (the wallet enforces
 * funds and idempotency on its own), and failing closed would turn a Redis
 * outage into a full API outage.
 */
export function registerRateLimit(
  app: FastifyInstance,
  opts: { redis: Redis; max: number; windowMs: number; onRedisFailure: RedisFailureReporter },
): void {
  const { redis, onRedisFailure } = opts;

  class FailOpenRedisStore {
    private readonly inner: RedisStore;
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }, inner?: RedisStore) {
      this.inner =
        inner ?? new RedisStore(!!params.continueExceeding, !!params.exponentialBackoff, redis, "rl:");
    }
    incr(...[key, callback, timeWindow, max]: Parameters<Incr>) {
      this.inner.incr(
        key,
        (err, result) => {
          if (err) onRedisFailure("rate_limit", err);
          callback(err, result);
        },
        timeWindow,
        max,
      );
    }
    child(routeOptions: unknown) {
      return new FailOpenRedisStore({}, this.inner.child(routeOptions));
    }
  }

  app.register(rateLimit, {
    max: opts.max,
    timeWindow: opts.windowMs,
    store: FailOpenRedisStore as unknown as RateLimitPluginOptions["store"],
    skipOnError: true,
    keyGenerator: (request) => (request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new ApiError(429, "RATE_LIMITED", `Rate limit exceeded, retry in ${context.after}`),
  });
}
