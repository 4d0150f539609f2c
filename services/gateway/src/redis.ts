import type { Logger } from "@wallet/runtime";
import { Redis } from "ioredis";
import type { GatewayMetrics } from "./metrics.js";

/** What a Redis failure interrupted: the connection itself, or one use of it. */
export type RedisUse = "connection" | "rate_limit" | "idempotency" | "history_cache";

/** Records a bypassed Redis failure: a metric each time, a warning at most every 10 s per use. */
export type RedisFailureReporter = (use: RedisUse, err: unknown) => void;

const WARN_EVERY_MS = 10_000;

export function createRedisFailureReporter(logger: Logger, metrics: GatewayMetrics): RedisFailureReporter {
  const lastWarn = new Map<RedisUse, number>();
  return (use, err) => {
    metrics.redisFailures.inc({ use });
    const now = Date.now();
    if (now - (lastWarn.get(use) ?? 0) < WARN_EVERY_MS) return;
    lastWarn.set(use, now);
    logger.warn({ use, err }, "redis unavailable, bypassing");
  };
}

/**
 * One Redis connection for rate limits, idempotency records and the history
 * cache. Commands fail at once while disconnected (no offline queue) and after
 * a short timeout, so a Redis outage degrades the gateway instead of stalling it.
 */
export function createRedisClient(url: string, onFailure: RedisFailureReporter): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on("error", (err) => onFailure("connection", err));
  return redis;
}

/** Resolves once Redis is ready, or after `timeoutMs` (the gateway then runs degraded until it is). */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ok);
    };
    redis.on("ready", onReady);
  });
}
