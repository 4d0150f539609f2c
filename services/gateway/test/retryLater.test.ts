import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceOf, type GatewayStack, newKey, startStackForAlice } from "./stack.js";

/*
 * A wallet that cannot answer now (a row lock held past the lock timeout here;
 * exhausted deadlock or write-conflict retries likewise) answers UNAVAILABLE:
 * 503 with Retry-After, not stored under the Idempotency-Key, so the client's
 * retry with the same key runs again and applies once.
 */
describe("gateway - retry later is not a stored answer", () => {
  let stack: GatewayStack;
  let alice: string;
  let walletId: string;

  beforeAll(async () => {
    ({ stack, alice, walletId } = await startStackForAlice(100, {}, { WALLET_DB_LOCK_TIMEOUT_MS: "300" }));
  });
  afterAll(() => stack?.stop());

  it("a credit blocked past the lock timeout is 503 + Retry-After; the same key later applies once", async () => {
    const key = newKey("busy");
    const credit = () =>
      stack.gateway.call("POST", "/api/wallets/credit", {
        token: alice,
        body: { walletId, amount: 7 },
        headers: { "idempotency-key": key },
      });
    const blocker = new pg.Client({ connectionString: stack.dbUrl });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE", [walletId]);
      const busy = await credit();
      expect(busy.status, busy.text).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(busy.body.error.code).toBe("UNAVAILABLE");
      await blocker.query("ROLLBACK");
    } finally {
      await blocker.end();
    }
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(100);
    const retried = await credit();
    expect(retried.status, retried.text).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();
    const again = await credit();
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(107);
  });

  it("only a stale expectedVersion is CONCURRENT_UPDATE, and that answer is kept for the key", async () => {
    const key = newKey("stale");
    const debit = () =>
      stack.gateway.call("POST", "/api/wallets/debit", {
        token: alice,
        body: { walletId, amount: 1, expectedVersion: 0 },
        headers: { "idempotency-key": key },
      });
    const stale = await debit();
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("CONCURRENT_UPDATE");
    const replay = await debit();
    expect(replay.status).toBe(409);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});
