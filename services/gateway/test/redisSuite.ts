import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startRedis, type TestRedis } from "../../../test/support/redis.js";

/**
 * For the enclosing describe block: a throwaway redis-server and a client of it,
 * started before its tests and stopped after them (`suite.redis` once they run).
 */
export function redisPerSuite(): { redis: Redis } {
  const suite = {} as { redis: Redis; server?: TestRedis };
  beforeAll(async () => {
    suite.server = await startRedis();
    suite.redis = new Redis(suite.server.url);
  });
  afterAll(async () => {
    suite.redis?.disconnect();
    await suite.server?.stop();
  });
  return suite;
}
