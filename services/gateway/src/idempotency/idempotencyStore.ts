import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** A response kept for replay, byte for byte. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

interface IdempotencyRecord {
  fingerprint: string;
  /** Who claimed the key: only that request may complete or release the record. */
  token: string;
  response?: StoredResponse;
}

/** The outcome of claiming an Idempotency-Key. */
export type Claim =
  | { kind: "claimed"; redisKey: string; token: string }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in_flight" }
  | { kind: "reused" };

// A record without a token was written before claims had tokens: it is ignored (the wallet
// still refuses to apply a key twice), never compared with a fingerprint of another format.
const LEGACY = `
local function current(key)
  local existing = redis.call('GET', key)
  if not existing then return nil, nil end
  local ok, record = pcall(cjson.decode, existing)
  if not ok or type(record) ~= 'table' or type(record.token) ~= 'string' then return nil, nil end
  return existing, record
end
`;

// Claims the key unless a record exists; returns the existing record, or nil when claimed.
const CLAIM_SCRIPT = `${LEGACY}
local existing = current(KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

// Stores the response if this claim still owns the key (or nobody does since its marker expired).
const COMPLETE_SCRIPT = `${LEGACY}
local existing, record = current(KEYS[1])
if existing and (record.token ~= ARGV[1] or record.response) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

// Deletes the marker only if this claim still owns it.
const RELEASE_SCRIPT = `${LEGACY}
local existing, record = current(KEYS[1])
if not existing or record.token ~= ARGV[1] or record.response then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

type WithScripts = Redis & {
  idempotencyClaim(key: string, record: string, ttlMs: number): Promise<string | null>;
  idempotencyComplete(key: string, token: string, record: string, ttlSeconds: number): Promise<number>;
  idempotencyRelease(key: string, token: string): Promise<number>;
};

/**
 * Idempotency records in Redis, one per (subject, Idempotency-Key). A claim is
 * an in-flight marker with a random token that expires after `inFlightTtlMs`
 * (so a crashed replica cannot block a key for a day); a completed record keeps
 * the response for `ttlSeconds`. Completing and releasing are compare-and-set on
 * the token, in Lua: a request whose marker expired, and whose key another
 * request claimed since, can neither overwrite nor delete that request's record.
 */
export function createIdempotencyStore(redis: Redis, opts: { ttlSeconds: number; inFlightTtlMs: number }) {
  const commands = redis as WithScripts;
  if (!commands.idempotencyClaim) {
    redis.defineCommand("idempotencyClaim", { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.defineCommand("idempotencyComplete", { numberOfKeys: 1, lua: COMPLETE_SCRIPT });
    redis.defineCommand("idempotencyRelease", { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }

  return {
    async claim(subject: string, key: string, fingerprint: string): Promise<Claim> {
      const redisKey = `idem:${encodeURIComponent(subject)}:${key}`;
      const token = randomUUID();
      const marker = JSON.stringify({ fingerprint, token } satisfies IdempotencyRecord);
      const existing = await commands.idempotencyClaim(redisKey, marker, opts.inFlightTtlMs);
      if (existing === null) return { kind: "claimed", redisKey, token };
      const record = JSON.parse(existing) as IdempotencyRecord;
      if (record.fingerprint !== fingerprint) return { kind: "reused" };
      return record.response ? { kind: "replay", response: record.response } : { kind: "in_flight" };
    },

    /** Keeps the response for replay; false when the claim no longer owns the key (nothing written). */
    async complete(
      claim: { redisKey: string; token: string },
      fingerprint: string,
      response: StoredResponse,
    ): Promise<boolean> {
      const record: IdempotencyRecord = { fingerprint, token: claim.token, response };
      const written = await commands.idempotencyComplete(
        claim.redisKey,
        claim.token,
        JSON.stringify(record),
        opts.ttlSeconds,
      );
      return written === 1;
    },

    /** Drops a claim whose response must not be replayed (5xx, 401, 429), so a retry runs again. */
    async release(claim: { redisKey: string; token: string }): Promise<boolean> {
      return (await commands.idempotencyRelease(claim.redisKey, claim.token)) === 1;
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
