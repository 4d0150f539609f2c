import { createMetricsRegistry } from "@wallet/runtime";
import { describe, expect, it } from "vitest";
import { createHistoryCache } from "../src/cache/historyCache.js";
import { createGatewayMetrics } from "../src/metrics.js";
import { redisPerSuite } from "./redisSuite.js";

// The history cache against a real Redis: an event of a write this gateway already
// invalidated for is skipped; any other event bumps the wallet's generation.
describe("history cache - own writes", () => {
  const suite = redisPerSuite();

  it("cache - the event of the gateway's own write is skipped; another writer's event invalidates", async () => {
    const registry = createMetricsRegistry("gateway");
    const metrics = createGatewayMetrics(registry);
    const failures: unknown[] = [];
    const cache = createHistoryCache(suite.redis, {
      ttlSeconds: 30,
      metrics,
      onRedisFailure: (_use, err) => failures.push(err),
    });
    const generation = async () => Number((await suite.redis.get("txc:{w-1}:gen")) ?? 0);

    await cache.invalidateOwnWrite(["w-1"], ["tx-own"]);
    expect(await generation()).toBe(1);
    await cache.invalidateForEvent("w-1", ["tx-own", ""]);
    expect(await generation()).toBe(1);
    await cache.invalidateForEvent("w-1", ["tx-other", ""]);
    expect(await generation()).toBe(2);
    // A transfer's legs carry the transfer id, which is what the gateway remembers for them.
    await cache.invalidateOwnWrite(["w-1", "w-2"], ["transfer-1"]);
    await cache.invalidateForEvent("w-2", ["tx-credit-leg", "transfer-1"]);
    expect(await generation()).toBe(3);
    expect(Number(await suite.redis.get("txc:{w-2}:gen"))).toBe(1);

    const counted = await registry.getSingleMetricAsString("gateway_history_cache_invalidations_total");
    expect(counted).toMatch(/source="event_skipped"[^}]*\} 2/);
    expect(counted).toMatch(/source="event"[^}]*\} 1/);
    expect(failures).toEqual([]);
  });
});
