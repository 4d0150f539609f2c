import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdempotencyStore } from "../src/idempotency/idempotencyStore.js";
import { redisPerSuite } from "./redisSuite.js";
import { type GatewayStack, newKey, startStackForAlice } from "./stack.js";

const response = (body: string) => ({ status: 200, contentType: "application/json", body });

/*
 * A request whose in-flight marker expired (it ran longer than the marker's
 * TTL) and whose key another request has claimed since must neither overwrite
 * nor delete that request's record: completion and release are compare-and-set
 * on the claim's token, in Redis.
 */
describe("gateway idempotency - records are completed only by their claimant", () => {
  const suite = redisPerSuite();

  const expired = async (store: ReturnType<typeof createIdempotencyStore>, key: string) => {
    const first = await store.claim("alice", key, "fp");
    if (first.kind !== "claimed") throw new Error(first.kind);
    // The marker's TTL (50 ms) runs out while the first request is still working.
    await expect.poll(async () => suite.redis.exists(first.redisKey), { interval: 20 }).toBe(0);
    const second = await store.claim("alice", key, "fp");
    if (second.kind !== "claimed") throw new Error(second.kind);
    return { first, second };
  };

  it("a late completion cannot overwrite the later claim, in flight or completed", async () => {
    const store = createIdempotencyStore(suite.redis, { ttlSeconds: 60, inFlightTtlMs: 50 });
    const key = newKey("late-complete");
    const { first, second } = await expired(store, key);
    expect(await store.complete(first, "fp", response("first"))).toBe(false);
    // Still the second request's marker: a third request waits for it.
    expect((await store.claim("alice", key, "fp")).kind).toBe("in_flight");
    expect(await store.complete(second, "fp", response("second"))).toBe(true);
    expect(await store.complete(first, "fp", response("first"))).toBe(false);
    expect(await store.claim("alice", key, "fp")).toEqual({ kind: "replay", response: response("second") });
  });

  it("a late release cannot delete the later claim's marker or its stored response", async () => {
    const store = createIdempotencyStore(suite.redis, { ttlSeconds: 60, inFlightTtlMs: 50 });
    const key = newKey("late-release");
    const { first, second } = await expired(store, key);
    expect(await store.release(first)).toBe(false);
    expect((await store.claim("alice", key, "fp")).kind).toBe("in_flight");
    await store.complete(second, "fp", response("second"));
    expect(await store.release(first)).toBe(false);
    expect(await store.release(second)).toBe(false); // a completed record is never released
    expect(await store.claim("alice", key, "fp")).toEqual({ kind: "replay", response: response("second") });
  });

  it("a completion whose marker expired with nobody claiming since is still kept", async () => {
    const store = createIdempotencyStore(suite.redis, { ttlSeconds: 60, inFlightTtlMs: 50 });
    const key = newKey("expired-alone");
    const claim = await store.claim("alice", key, "fp");
    if (claim.kind !== "claimed") throw new Error(claim.kind);
    await expect.poll(async () => suite.redis.exists(claim.redisKey), { interval: 20 }).toBe(0);
    expect(await store.complete(claim, "fp", response("only"))).toBe(true);
    expect(await store.claim("alice", key, "fp")).toEqual({ kind: "replay", response: response("only") });
  });

  it("a record written before claims had tokens is ignored, not compared", async () => {
    const store = createIdempotencyStore(suite.redis, { ttlSeconds: 60, inFlightTtlMs: 5000 });
    const key = newKey("legacy");
    await suite.redis.set(`idem:alice:${key}`, JSON.stringify({ fingerprint: "old-format" }), "EX", 60);
    expect((await store.claim("alice", key, "fp")).kind).toBe("claimed");
  });
});

describe("gateway idempotency - the normalised request decides replay or reuse, as in the wallet", () => {
  let stack: GatewayStack;
  let alice: string;
  let walletId: string;
  beforeAll(async () => {
    ({ stack, alice, walletId } = await startStackForAlice(100));
  });
  afterAll(() => stack?.stop());

  const post = (path: string, key: string, rawBody: string) =>
    stack.gateway.call("POST", path, { token: alice, rawBody, headers: { "idempotency-key": key } });

  it("no metadata and empty metadata, reordered keys, extra whitespace: one request, replayed", async () => {
    const key = newKey("normalised");
    const first = await post("/api/wallets/credit", key, `{"walletId":"${walletId}","amount":5}`);
    expect(first.status).toBe(200);
    for (const same of [
      `{"walletId":"${walletId}","amount":5,"metadata":{}}`,
      `{ "amount": 5, "walletId": "${walletId}" }`,
    ]) {
      const again = await post("/api/wallets/credit", key, same);
      expect(again.status, again.text).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.text).toBe(first.text);
    }
    const other = await post(
      "/api/wallets/credit",
      key,
      `{"walletId":"${walletId}","amount":5,"metadata":{"a":"b"}}`,
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("after Redis forgot the key, the wallet agrees: the same normalised request is a replay there too", async () => {
    const key = newKey("normalised-wallet");
    const first = await post(
      "/api/wallets/debit",
      key,
      `{"walletId":"${walletId}","amount":1,"metadata":{}}`,
    );
    expect(first.status).toBe(200);
    const redis = new Redis(stack.redis.url);
    try {
      await redis.del(`idem:alice:${key}`);
    } finally {
      redis.disconnect();
    }
    const again = await post("/api/wallets/debit", key, `{"amount":1,"walletId":"${walletId}"}`);
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.data.transactionId).toBe(first.body.data.transactionId);
  });

  it("a stored business failure lives only as long as the Redis record: then the same request runs again", async () => {
    const key = newKey("stored-409");
    const debit = () => post("/api/wallets/debit", key, `{"walletId":"${walletId}","amount":1000000}`);
    const refused = await debit();
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("INSUFFICIENT_FUNDS");
    expect((await debit()).headers.get("idempotent-replayed")).toBe("true");
    const funded = await post(
      "/api/wallets/credit",
      newKey("fund"),
      `{"walletId":"${walletId}","amount":1000000}`,
    );
    expect(funded.status).toBe(200);
    const redis = new Redis(stack.redis.url);
    try {
      await redis.del(`idem:alice:${key}`); // as when the record expires
    } finally {
      redis.disconnect();
    }
    const rerun = await debit();
    expect(rerun.status, rerun.text).toBe(200);
    expect(rerun.headers.get("idempotent-replayed")).toBeNull();
  });
});
