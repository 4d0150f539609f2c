import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { ApiError } from "../http/apiError.js";
import type { RedisFailureReporter } from "../redis.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** `false`: the route is never rate limited (probes, metrics). */
    rateLimit?: false;
    /**
     * Redis work of the route that can be known before the handler runs (a cache lookup): called
     * right after the count of a verified caller is sent, so both go to Redis in one round trip.
     */
    alongsideRateLimit?: (request: FastifyRequest) => void;
  }
  interface FastifyRequest {
    /** True while the API's own limiter (apiRateLimit) is in charge of this request. */
    limitedByApi: boolean;
    /**
     * The count of a verified caller, held back until the Idempotency-Key claim can go to Redis
     * with it (see takeDeferredCount); null once counted.
     */
    deferredCount: (() => Promise<void>) | null;
  }
}

export interface RateLimitOptions {
  redis: Redis;
  max: number;
  windowMs: number;
  onRedisFailure: RedisFailureReporter;
}

// A fixed window: the first request of a window starts its TTL. A counter found without a TTL
// (its PEXPIRE lost) gets one, so it cannot stay spent forever. Returns {count, ttl in ms}.
const COUNT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then redis.call('PEXPIRE', KEYS[1], ttl) else ttl = left end
end
return {current, ttl}
`;

// The window's count and TTL without counting; {0, 0} when there is none.
const READ_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return {0, 0} end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
return {tonumber(current), ttl}
`;

type WithScripts = Redis & {
  rateLimitCount(key: string, windowMs: number): Promise<[number, number]>;
  rateLimitPeek(key: string): Promise<[number, number]>;
};

/** Where a budget stands after a count or a read; null when Redis did not answer. */
interface Window {
  count: number;
  ttlSeconds: number;
}

/**
 * Fixed-window counters in Redis at `rl:<key>`, so all replicas share one
 * budget. Each command is sent when the function is called (before its first
 * await), so Redis work issued in the same tick shares its round trip through
 * the client's auto-pipelining.
 */
function createCounter(opts: RateLimitOptions) {
  const commands = opts.redis as WithScripts;
  if (!commands.rateLimitCount) {
    opts.redis.defineCommand("rateLimitCount", { numberOfKeys: 1, lua: COUNT_SCRIPT });
    opts.redis.defineCommand("rateLimitPeek", { numberOfKeys: 1, lua: READ_SCRIPT });
  }
  const settle = async (pending: Promise<[number, number]>): Promise<Window | null> => {
    try {
      const [count, ttlMs] = await pending;
      return { count, ttlSeconds: Math.ceil(ttlMs / 1000) };
    } catch {
      return null;
    }
  };
  return {
    count: (key: string) => settle(commands.rateLimitCount(`rl:${key}`, opts.windowMs)),
    read: (key: string) => settle(commands.rateLimitPeek(`rl:${key}`)),
  };
}

const keyOf = (request: FastifyRequest) =>
  request.principal ? `sub:${request.principal.sub}` : `ip:${request.ip}`;

function refuse(ttlSeconds: number): ApiError {
  return new ApiError(429, "RATE_LIMITED", `Rate limit exceeded, retry in ${ttlSeconds} seconds`, {
    "retry-after": String(ttlSeconds),
  });
}

function reportSkipped(opts: RateLimitOptions): void {
  opts.onRedisFailure("rate_limit", new Error("rate-limit counter unavailable, request let through"));
}

/**
 * Counts one request on `key`: x-ratelimit-* headers, 429 RATE_LIMITED with
 * Retry-After once the budget is spent. The command is sent before this returns.
 */
function countOn(
  counter: ReturnType<typeof createCounter>,
  opts: RateLimitOptions,
  key: string,
  reply: FastifyReply,
): Promise<void> {
  return counter.count(key).then((window) => {
    if (!window) return reportSkipped(opts);
    reply.header("x-ratelimit-limit", opts.max);
    reply.header("x-ratelimit-remaining", Math.max(0, opts.max - window.count));
    reply.header("x-ratelimit-reset", window.ttlSeconds);
    if (window.count > opts.max) throw refuse(window.ttlSeconds);
  });
}

/**
 * Fixed-window limits in Redis, so all replicas share one budget. The key is
 * the JWT subject of a verified caller, else the client address (`request.ip`,
 * which honours TRUST_PROXY). Routes opt out with `config: { rateLimit: false }`;
 * the authenticated API routes are counted by apiRateLimit instead of the hook
 * added here, because only the authentication step knows when a token is valid.
 *
 * When Redis fails the request is let through (fail open): limits protect
 * capacity, not money (the wallet enforces funds and idempotency on its own),
 * and failing closed would turn a Redis outage into a full API outage. Each
 * such request is counted in gateway_redis_failures_total{use="rate_limit"}.
 */
export function registerRateLimit(app: FastifyInstance, opts: RateLimitOptions): void {
  app.decorateRequest("limitedByApi", false);
  app.decorateRequest("deferredCount", null);
  const counter = createCounter(opts);
  const byAddress = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.limitedByApi) await countOn(counter, opts, `ip:${request.ip}`, reply);
  };
  // A route hook, so it runs after the API context's authentication hook has claimed its requests.
  app.addHook("onRoute", (route) => {
    if (route.config?.rateLimit === false) return;
    const hooks = route.onRequest;
    route.onRequest = [...(Array.isArray(hooks) ? hooks : hooks ? [hooks] : []), byAddress];
  });
}

/** The limits of the authenticated API, applied by registerAuthentication at the right moments. */
export interface ApiRateLimit {
  /** Marks the request as counted here, not by the hook of registerRateLimit. */
  take(request: FastifyRequest): void;
  /**
   * Counts the request against the verified subject, or against the client
   * address when there is no verified caller (no token, a rejected one); 429
   * RATE_LIMITED when that budget is spent. For a verified caller the route's
   * `alongsideRateLimit` work is sent in the same round trip; on a route that
   * claims an Idempotency-Key the count waits for the claim (takeDeferredCount).
   */
  count(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** 429 RATE_LIMITED, counting nothing, when the client address has no budget left. */
  checkAddress(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export function apiRateLimit(opts: RateLimitOptions): ApiRateLimit {
  const counter = createCounter(opts);
  return {
    take: (request) => {
      request.limitedByApi = true;
    },
    count: (request, reply) => {
      if (request.principal && claimsIdempotencyKey(request)) {
        request.deferredCount = () => countOn(counter, opts, keyOf(request), reply);
        return Promise.resolve();
      }
      const counted = countOn(counter, opts, keyOf(request), reply);
      if (request.principal) request.routeOptions.config.alongsideRateLimit?.(request);
      return counted;
    },
    checkAddress: async (request, reply) => {
      const window = await counter.read(`ip:${request.ip}`);
      if (!window || window.count < opts.max) return;
      reply.header("x-ratelimit-limit", opts.max);
      reply.header("x-ratelimit-remaining", 0);
      reply.header("x-ratelimit-reset", window.ttlSeconds);
      throw refuse(window.ttlSeconds);
    },
  };
}

// Mirrors the preHandler of registerIdempotency, which makes the claim.
function claimsIdempotencyKey(request: FastifyRequest): boolean {
  return (
    request.routeOptions.config.idempotent !== undefined &&
    typeof request.headers["idempotency-key"] === "string"
  );
}

/**
 * Sends the held-back count of this request now (before returning) and returns its outcome
 * (rejects with 429 RATE_LIMITED over the limit); null when the request was counted already.
 * Called with the Idempotency-Key claim, and by the error handler for a request that failed
 * before its claim (a bad body): every request is counted once, and over the limit it is 429.
 */
export function takeDeferredCount(request: FastifyRequest): Promise<void> | null {
  const deferred = request.deferredCount;
  if (!deferred) return null;
  request.deferredCount = null;
  return deferred();
}
