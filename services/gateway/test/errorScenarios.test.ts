import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceOf, fundedWallet, type GatewayStack, newKey, startStack } from "./stack.js";

// Flow 7 ("Error scenarios") and Flow 3 ("Race condition protection") of docs/flows.md, end to end.
describe("gateway errors - Flow 7 and Flow 3", () => {
  let stack: GatewayStack;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.token("alice", { email: "alice@example.com" });
    bob = await stack.token("bob");
  });
  afterAll(() => stack?.stop());

  const debit = (token: string, body: object, key = newKey("debit")) =>
    stack.gateway.call("POST", "/api/wallets/debit", { token, body, headers: { "idempotency-key": key } });

  it("invalid JWT - 401 UNAUTHORIZED with WWW-Authenticate", async () => {
    const res = await stack.gateway.call("GET", "/api/wallets", { token: "bad" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("wrong wallet - debit of an unknown id or another user's wallet is 404 WALLET_NOT_FOUND", async () => {
    const bobsWallet = await fundedWallet(stack.gateway, bob, "USD", 500);
    for (const walletId of ["wrong", bobsWallet, "00000000-0000-4000-8000-000000000000"]) {
      const res = await debit(alice, { walletId, amount: 10 });
      expect(res.status, walletId).toBe(404);
      expect(res.body.error.code).toBe("WALLET_NOT_FOUND");
    }
    const read = await stack.gateway.call("GET", `/api/wallets/${bobsWallet}`, { token: alice });
    expect(read.status).toBe(404);
    expect(await balanceOf(stack.gateway, bob, bobsWallet)).toBe(500);
  });

  it("overdraw - debit 200 from 100 is 409 INSUFFICIENT_FUNDS and changes nothing", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "EUR", 100);
    const res = await debit(alice, { walletId, amount: 200 });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "INSUFFICIENT_FUNDS", message: "Insufficient funds" });
    expect(res.body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(100);
  });

  it("schema violation - credit amount -10 is 400 VALIDATION_FAILED naming amount", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "GBP", 0);
    const res = await stack.gateway.call("POST", "/api/wallets/credit", {
      token: alice,
      body: { walletId, amount: -10 },
      headers: { "idempotency-key": newKey() },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("VALIDATION_FAILED");
    expect(res.body.error.message).toMatch(/^amount /);
  });

  it("duplicate wallet - a second USD wallet is 409 WALLET_EXISTS", async () => {
    const first = await stack.gateway.call("POST", "/api/wallets", {
      token: alice,
      body: { currency: "USD" },
    });
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ currency: "USD", balance: 0, version: 0 });
    const second = await stack.gateway.call("POST", "/api/wallets", {
      token: alice,
      body: { currency: "USD" },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("WALLET_EXISTS");
    const list = await stack.gateway.call("GET", "/api/wallets", { token: alice });
    expect(list.body.data.items.filter((w: { currency: string }) => w.currency === "USD")).toHaveLength(1);
  });

  it("concurrent update - two debits at the same expectedVersion: one 200, one 409 CONCURRENT_UPDATE", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "CHF", 100);
    const { version } = (await stack.gateway.call("GET", `/api/wallets/${walletId}`, { token: alice })).body
      .data;
    const results = await Promise.all([
      debit(alice, { walletId, amount: 10, expectedVersion: version }),
      debit(alice, { walletId, amount: 10, expectedVersion: version }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expect(conflict.body.error).toMatchObject({
      code: "CONCURRENT_UPDATE",
      message: "Balance changed concurrently",
    });
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(90);
  });

  it("stale expectedVersion - 409 CONCURRENT_UPDATE, balance unchanged", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "JPY", 100);
    const res = await debit(alice, { walletId, amount: 1, expectedVersion: 0 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("CONCURRENT_UPDATE");
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(100);
  });

  it("Flow 3 - two simultaneous debits of 75 on 100: one 200, one 409 INSUFFICIENT_FUNDS", async () => {
    const walletId = await fundedWallet(stack.gateway, alice, "SEK", 100);
    const results = await Promise.all([
      debit(alice, { walletId, amount: 75 }, newKey("race1")),
      debit(alice, { walletId, amount: 75 }, newKey("race2")),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe("INSUFFICIENT_FUNDS");
    expect(results.find((r) => r.status === 200)!.body.data.balance).toBe(25);
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(25);
  });

  it("transfer - moves money between wallets of one currency; other currency is 409 CURRENCY_MISMATCH", async () => {
    const from = await fundedWallet(stack.gateway, alice, "NOK", 300);
    const to = await fundedWallet(stack.gateway, bob, "NOK", 0);
    const other = await fundedWallet(stack.gateway, bob, "DKK", 0);
    const transfer = (toWalletId: string, amount: number) =>
      stack.gateway.call("POST", "/api/transfers", {
        token: alice,
        body: { fromWalletId: from, toWalletId, amount, metadata: { note: "rent" } },
        headers: { "idempotency-key": newKey("transfer") },
      });
    const ok = await transfer(to, 120);
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ fromWalletId: from, toWalletId: to, amount: 120, balance: 180 });
    expect(await balanceOf(stack.gateway, bob, to)).toBe(120);
    const mismatch = await transfer(other, 1);
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error.code).toBe("CURRENCY_MISMATCH");
    expect((await transfer(to, 1000)).body.error.code).toBe("INSUFFICIENT_FUNDS");
  });

  it("upstream down - 503 UNAVAILABLE with a generic message", async () => {
    const gw = await stack.startGateway({
      WALLET_GRPC_URL: "127.0.0.1:1",
      GATEWAY_UPSTREAM_TIMEOUT_MS: "1000",
    });
    const res = await gw.call("GET", "/api/wallets", { token: alice });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: "UNAVAILABLE", message: "Wallet service unavailable" });
    expect(res.text).not.toMatch(/ECONNREFUSED|at \w+ \(/);
  });
});
