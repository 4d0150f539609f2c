import type { Redis } from "ioredis";

/** A response kept for replay, byte for byte. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

interface IdempotencyRecord {
  fingerprint: string;
  response?: StoredResponse;
}

/** The outcome of claiming an Idempotency-Key. */
export type Claim =
  | { kind: "claimed"; redisKey: string }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in_flight" }
  | { kind: "reused" };

// Claims the key unless a record exists; returns the existing record, or nil when claimed.
const CLAIM_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

type WithClaim = Redis & {
  idempotencyClaim(key: string, record: string, ttlMs: number): Promise<string | null>;
};

/**
 * Idempotency records in Redis, one per (subject, Idempotency-Key). A claim is
 * an in-flight marker that expires after `inFlightTtlMs` (so a crashed replica
 * cannot block a key for a day); a completed record keeps the response for `ttlSeconds`.
 */
export function createIdempotencyStore(redis: Redis, opts: { ttlSeconds: number; inFlightTtlMs: number }) {
  const commands = redis as WithClaim;
  if (!commands.idempotencyClaim)
    redis.defineCommand("idempotencyClaim", { numberOfKeys: 1, lua: CLAIM_SCRIPT });

  return {
    async claim(subject: string, key: string, fingerprint: string): Promise<Claim> {
      const redisKey = `idem:${encodeURIComponent(subject)}:${key}`;
      const marker = JSON.stringify({ fingerprint } satisfies IdempotencyRecord);
      const existing = await commands.idempotencyClaim(redisKey, marker, opts.inFlightTtlMs);
      if (existing === null) return { kind: "claimed", redisKey };
      const record = JSON.parse(existing) as IdempotencyRecord;
      if (record.fingerprint !== fingerprint) return { kind: "reused" };
      return record.response ? { kind: "replay", response: record.response } : { kind: "in_flight" };
    },

    async complete(redisKey: string, fingerprint: string, response: StoredResponse): Promise<void> {
      const record: IdempotencyRecord = { fingerprint, response };
      await redis.set(redisKey, JSON.stringify(record), "EX", opts.ttlSeconds);
    },

    /** Drops a claim whose response must not be replayed (5xx, 401, 429), so a retry runs again. */
    async release(redisKey: string): Promise<void> {
      await redis.del(redisKey);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
