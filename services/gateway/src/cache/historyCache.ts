import type { Redis } from "ioredis";
import type { GatewayMetrics } from "../metrics.js";
import type { RedisFailureReporter } from "../redis.js";

// Reads the wallet's generation and the page cached under it in one round trip.
const LOOKUP_SCRIPT = `
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
`;

// Starts a new generation of a wallet's pages; one key, so it is atomic on a Cluster too.
const INVALIDATE_SCRIPT = `
local generation = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return generation
`;

// defineCommand adds a *Buffer variant; bytes go from Redis to the socket without a string round trip.
type WithLookup = Redis & {
  historyLookup(generationKey: string, prefix: string, suffix: string): unknown;
  historyLookupBuffer(
    generationKey: string,
    prefix: string,
    suffix: string,
  ): Promise<[Buffer, Buffer | null]>;
  historyInvalidate(generationKey: string, ttlSeconds: number): Promise<number>;
};

/** A cache lookup: the cached body (JSON bytes), or null with a `store` that files the fresh body under the same generation. */
export interface HistoryLookup {
  body: Buffer | null;
  store(body: string): Promise<void>;
}

/** A lookup sent ahead (with the request's rate-limit count), for `lookup` to use if it asks the same. */
export interface PrefetchedLookup {
  args: string;
  answer: Promise<[Buffer, Buffer | null] | { failed: unknown }>;
}

// Outlives every cached page, so a generation never restarts while pages of it can still be read.
const GENERATION_TTL_SECONDS = 7 * 24 * 3600;

// How long, and how many, of this gateway's own writes are remembered so their events can be skipped.
const OWN_WRITE_TTL_MS = 60_000;
const OWN_WRITES_MAX = 10_000;

/**
 * Cache of transaction-history pages in Redis. Each wallet has a generation
 * counter that is part of every page key; invalidating a wallet increments it,
 * so all its pages (every owner, limit and cursor) go stale at once, and a page
 * read before the increment can only be stored under the old generation.
 * Pages are keyed per subject as well, so one caller never sees a page fetched
 * for another; the wallet's ownership check made on the miss stays the authority.
 */
export function createHistoryCache(
  redis: Redis,
  opts: { ttlSeconds: number; metrics: GatewayMetrics; onRedisFailure: RedisFailureReporter },
) {
  const { metrics, onRedisFailure } = opts;
  const commands = redis as WithLookup;
  if (!commands.historyLookup) {
    redis.defineCommand("historyLookup", { numberOfKeys: 1, lua: LOOKUP_SCRIPT });
    redis.defineCommand("historyInvalidate", { numberOfKeys: 1, lua: INVALIDATE_SCRIPT });
  }
  // The braces keep a wallet's keys in one Redis Cluster slot.
  const walletPrefix = (walletId: string) => `txc:{${walletId}}:`;
  const keysOf = (walletId: string, subject: string, limit: number, cursor: string) => ({
    prefix: walletPrefix(walletId),
    suffix: `:${encodeURIComponent(subject)}:${limit}:${encodeURIComponent(cursor)}`,
  });

  const bypass: HistoryLookup = { body: null, store: async () => {} };
  // Transaction and transfer ids this gateway wrote and already invalidated for, oldest first.
  const ownWrites = new Map<string, number>();
  const forgetExpired = (now: number) => {
    for (const [id, until] of ownWrites) {
      if (until > now && ownWrites.size <= OWN_WRITES_MAX) break;
      ownWrites.delete(id);
    }
  };

  return {
    /**
     * Sends the lookup now (before returning), so it shares a round trip with Redis work sent in
     * the same tick; pass the result to `lookup`. Never rejects.
     */
    prefetch(walletId: string, subject: string, limit: number, cursor: string): PrefetchedLookup {
      const { prefix, suffix } = keysOf(walletId, subject, limit, cursor);
      return {
        args: `${prefix}${suffix}`,
        answer: commands.historyLookupBuffer(`${prefix}gen`, `${prefix}p:`, suffix).catch((failed) => ({
          failed,
        })),
      };
    },

    /** The cached page, from `prefetched` if that was sent for the same page, else from Redis now. */
    async lookup(
      walletId: string,
      subject: string,
      limit: number,
      cursor: string,
      prefetched?: PrefetchedLookup | null,
    ): Promise<HistoryLookup> {
      const { prefix, suffix } = keysOf(walletId, subject, limit, cursor);
      const answer =
        prefetched?.args === `${prefix}${suffix}`
          ? await prefetched.answer
          : await commands
              .historyLookupBuffer(`${prefix}gen`, `${prefix}p:`, suffix)
              .catch((failed) => ({ failed }));
      if ("failed" in answer) {
        onRedisFailure("history_cache", answer.failed);
        return bypass;
      }
      const [generation, body] = answer;
      metrics.cacheLookups.inc({ result: body === null ? "miss" : "hit" });
      const key = `${prefix}p:${generation.toString()}${suffix}`;
      return {
        body,
        store: async (fresh) => {
          await redis
            .set(key, fresh, "EX", opts.ttlSeconds)
            .catch((err) => onRedisFailure("history_cache", err));
        },
      };
    },

    /**
     * Invalidates for a write this gateway made, after the wallet answered: every page read from
     * then on includes it, so the write's own committed events need not invalidate again (which
     * would only turn the next read into a needless miss). `writtenIds` are its transaction or
     * transfer ids.
     */
    async invalidateOwnWrite(walletIds: string[], writtenIds: string[]): Promise<void> {
      const now = Date.now();
      for (const id of writtenIds) if (id) ownWrites.set(id, now + OWN_WRITE_TTL_MS);
      forgetExpired(now);
      await this.invalidate(walletIds, "gateway");
    },

    /** Invalidates for a committed event, unless it belongs to a write this gateway already invalidated for. */
    async invalidateForEvent(walletId: string, writtenIds: string[]): Promise<void> {
      if (writtenIds.some((id) => id !== "" && ownWrites.has(id))) {
        metrics.cacheInvalidations.inc({ source: "event_skipped" });
        return;
      }
      await this.invalidate([walletId], "event");
    },

    /**
     * Makes every cached page of these wallets stale; never throws (the TTL is the backstop).
     * The commands are sent before this returns (one script per wallet, auto-pipelined).
     */
    async invalidate(walletIds: string[], source: "gateway" | "event"): Promise<void> {
      const sent = walletIds.map((id) =>
        commands.historyInvalidate(`${walletPrefix(id)}gen`, GENERATION_TTL_SECONDS),
      );
      try {
        await Promise.all(sent);
        metrics.cacheInvalidations.inc({ source }, walletIds.length);
      } catch (err) {
        onRedisFailure("history_cache", err);
      }
    },
  };
}

export type HistoryCache = ReturnType<typeof createHistoryCache>;
