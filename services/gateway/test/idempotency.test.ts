import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceOf, fundedWallet, type GatewayStack, newKey, startStack } from "./stack.js";

// Flow 1 (credit lifecycle) and Flow 2 (idempotent replay) of docs/flows.md, plus the edges of Idempotency-Key.
describe("gateway idempotency - Flow 1 and Flow 2", () => {
  let stack: GatewayStack;
  let redis: Redis;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    stack = await startStack();
    redis = new Redis(stack.redis.url);
    alice = await stack.token("alice", { email: "alice@example.com" });
    bob = await stack.token("bob");
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  const credit = (token: string, key: string | undefined, body: object) =>
    stack.gateway.call("POST", "/api/wallets/credit", {
      token,
      body,
      headers: key === undefined ? {} : { "idempotency-key": key },
    });

  it("Flow 1/2 - a repeated credit replays the first response byte for byte and applies once", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "USD", 50);
    const key = newKey("detailed-flow-1");
    const body = { walletId, amount: 100, metadata: { ref: "order-456" } };
    const first = await credit(alice, key, body);
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({
      walletId,
      amount: 100,
      balance: 150,
      metadata: { ref: "order-456" },
    });
    expect(first.headers.get("idempotent-replayed")).toBeNull();

    const again = await credit(alice, key, { metadata: { ref: "order-456" }, amount: 100, walletId });
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(150);
  });

  it("20 parallel requests with one key - one execution, the rest replay or get 409 + Retry-After", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "EUR", 0);
    const key = newKey("parallel");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => credit(alice, key, { walletId, amount: 7 })),
    );
    const ok = results.filter((r) => r.status === 200);
    const busy = results.filter((r) => r.status === 409);
    expect(ok.length + busy.length).toBe(20);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(ok.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(new Set(ok.map((r) => r.text)).size).toBe(1);
    for (const r of busy) {
      expect(r.body.error.code).toBe("IDEMPOTENCY_IN_FLIGHT");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(7);
  });

  it("same key, other body - 422 IDEMPOTENCY_KEY_REUSED, nothing applied", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "GBP", 0);
    const key = newKey("reuse");
    expect((await credit(alice, key, { walletId, amount: 10 })).status).toBe(200);
    const other = await credit(alice, key, { walletId, amount: 11 });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const otherRoute = await stack.gateway.call("POST", "/api/wallets/debit", {
      token: alice,
      body: { walletId, amount: 10 },
      headers: { "idempotency-key": key },
    });
    expect(otherRoute.status).toBe(422);
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(10);
  });

  it("missing key - 400 VALIDATION_FAILED on credit, debit and transfer", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CHF", 100);
    for (const [path, body] of [
      ["/api/wallets/credit", { walletId, amount: 1 }],
      ["/api/wallets/debit", { walletId, amount: 1 }],
      ["/api/transfers", { fromWalletId: walletId, toWalletId: walletId, amount: 1 }],
    ] as const) {
      const res = await stack.gateway.call("POST", path, { token: alice, body });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toMatchObject({
        code: "VALIDATION_FAILED",
        message: "Idempotency-Key header is required",
      });
    }
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(100);
  });

  it("two users, same key - independent", async () => {
    const alices = await fundedWallet(stack.gateway, alice, "SEK", 0);
    const bobs = await fundedWallet(stack.gateway, bob, "SEK", 0);
    const key = newKey("shared");
    const a = await credit(alice, key, { walletId: alices, amount: 5 });
    const b = await credit(bob, key, { walletId: bobs, amount: 6 });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(await balanceOf(stack.gateway, alice, alices)).toBe(5);
    expect(await balanceOf(stack.gateway, bob, bobs)).toBe(6);
  });

  it("Redis record lost - the retry is still applied once (the wallet dedupes by key)", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "NOK", 0);
    const key = newKey("lost");
    const first = await credit(alice, key, { walletId, amount: 40 });
    expect(first.status).toBe(200);
    const records = await redis.keys(`idem:alice:${key}`);
    expect(records).toHaveLength(1);
    await redis.del(records[0]!);

    const retry = await credit(alice, key, { walletId, amount: 40 });
    expect(retry.status).toBe(200);
    expect(retry.body.data.transactionId).toBe(first.body.data.transactionId);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(40);
  });

  it("business 4xx - a stored 409 is replayed even after the cause went away", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "DKK", 10);
    const key = newKey("overdraft");
    const debit = () =>
      stack.gateway.call("POST", "/api/wallets/debit", {
        token: alice,
        body: { walletId, amount: 999 },
        headers: { "idempotency-key": key },
      });
    const first = await debit();
    expect(first.status).toBe(409);
    await credit(alice, newKey(), { walletId, amount: 5000 });
    const again = await debit();
    expect(again.status).toBe(409);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("wallet creation - optional key replays the 201", async () => {
    const key = newKey("create");
    const create = () =>
      stack.gateway.call("POST", "/api/wallets", {
        token: bob,
        body: { currency: "PLN" },
        headers: { "idempotency-key": key },
      });
    const first = await create();
    expect(first.status).toBe(201);
    const again = await create();
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});
