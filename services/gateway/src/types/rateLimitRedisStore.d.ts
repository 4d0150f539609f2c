// The Redis store @fastify/rate-limit ships (and uses for its `redis` option) has no type declarations.
declare module "@fastify/rate-limit/store/RedisStore.js" {
  import type { Redis } from "ioredis";

  type Incr = (
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
    max: number,
  ) => void;

  class RedisStore {
    constructor(continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key?: string);
    incr: Incr;
    child(routeOptions: unknown): RedisStore;
  }
  export default RedisStore;
}
