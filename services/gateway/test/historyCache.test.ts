import { credentials, Metadata } from "@grpc/grpc-js";
import { type CreditResponse, WalletServiceClient } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fundedWallet, type GatewayStack, newKey, startStack } from "./stack.js";

// Flow 5 (caching layer) and Flow 8 (pagination) of docs/flows.md.
describe("gateway history - Flow 5 and Flow 8", () => {
  let stack: GatewayStack;
  let grpc: WalletServiceClient;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    stack = await startStack();
    grpc = new WalletServiceClient(stack.walletTarget, credentials.createInsecure());
    alice = await stack.token("alice");
    bob = await stack.token("bob");
  });
  afterAll(async () => {
    grpc?.close();
    await stack?.stop();
  });

  const bearerMetadata = (token: string) => {
    const md = new Metadata();
    md.set("authorization", `Bearer ${token}`);
    return md;
  };
  const history = (token: string, query: string) =>
    stack.gateway.call("GET", `/api/transactions?${query}`, { token });
  const credit = (walletId: string, amount: number) =>
    stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      body: { walletId, amount },
      headers: { "idempotency-key": newKey("credit") },
    });

  it("Flow 5 - first read MISS, second HIT with the same body", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "USD", 100);
    const first = await history(alice, `walletId=${walletId}&limit=10`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(first.body.data.items).toHaveLength(1);
    const second = await history(alice, `walletId=${walletId}&limit=10`);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(second.text).toBe(first.text);
  });

  it("Flow 5 - a credit through the gateway is visible on the very next read", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "EUR", 100);
    await history(alice, `walletId=${walletId}`);
    expect((await history(alice, `walletId=${walletId}`)).headers.get("x-cache")).toBe("HIT");
    expect((await credit(walletId, 5)).status).toBe(200);
    const next = await history(alice, `walletId=${walletId}`);
    expect(next.headers.get("x-cache")).toBe("MISS");
    expect(next.body.data.items[0]).toMatchObject({ type: "credit", amount: 5, balanceAfter: 105 });
  });

  it("Flow 5 - reads after a gateway credit are MISS then HIT, whenever its committed event arrives", async () => {
    const eventsSeen = async () => {
      const text = await (await fetch(`${stack.gateway.url}/metrics`)).text();
      return [
        ...text.matchAll(
          /^gateway_history_cache_invalidations_total\{[^}]*source="event(?:_skipped)?"[^}]*\} (\d+)/gm,
        ),
      ]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
    };
    const before = await eventsSeen();
    const walletId = await fundedWallet(stack.gateway, alice, "JPY", 100);
    // The credit's event either invalidated before the gateway's own invalidation, or was skipped after it.
    await expect.poll(eventsSeen, { timeout: 10_000 }).toBeGreaterThan(before);
    await history(alice, `walletId=${walletId}`);
    expect((await history(alice, `walletId=${walletId}`)).headers.get("x-cache")).toBe("HIT");
  });

  it("Flow 5 - a credit made directly over gRPC is visible within 1 s", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "GBP", 100);
    await history(alice, `walletId=${walletId}`);
    expect((await history(alice, `walletId=${walletId}`)).headers.get("x-cache")).toBe("HIT");

    await new Promise<CreditResponse>((resolve, reject) =>
      grpc.credit(
        { ownerId: "alice", walletId, amount: 42n, idempotencyKey: newKey("direct"), metadata: {} },
        bearerMetadata(alice),
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    const deadline = Date.now() + 1000;
    let latest = await history(alice, `walletId=${walletId}`);
    while (latest.body.data.items[0].amount !== 42 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      latest = await history(alice, `walletId=${walletId}`);
    }
    expect(latest.body.data.items[0]).toMatchObject({ amount: 42, balanceAfter: 142 });
  });

  it("Flow 5 - the cache is per owner: another user gets 404, never the cached page", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CHF", 100);
    await history(alice, `walletId=${walletId}`);
    expect((await history(alice, `walletId=${walletId}`)).headers.get("x-cache")).toBe("HIT");
    const res = await history(bob, `walletId=${walletId}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("WALLET_NOT_FOUND");
  });

  it("Flow 8 - 25 transactions at limit 10 page as 10, 10, 5 then a null cursor, newest first", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "SEK", 0);
    for (let i = 1; i <= 25; i++) expect((await credit(walletId, i)).status).toBe(200);
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `walletId=${walletId}&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await history(alice, query);
      expect(res.status).toBe(200);
      pages.push(res.body.data.items.map((t: { amount: number }) => t.amount));
      cursor = res.body.data.nextCursor;
    } while (cursor !== null && pages.length < 5);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it("Flow 8 - a bad cursor or limit is 400 VALIDATION_FAILED", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "NOK", 10);
    for (const query of [
      `walletId=${walletId}&cursor=not-a-cursor`,
      `walletId=${walletId}&limit=0`,
      `walletId=${walletId}&limit=101`,
      `walletId=${walletId}&limit=ten`,
      "limit=10",
    ]) {
      const res = await history(alice, query);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
  });
});
