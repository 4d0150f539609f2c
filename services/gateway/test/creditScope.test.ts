import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceOf, fundedWallet, type GatewayStack, newKey, startStack } from "./stack.js";

// Money creation is privileged: crediting needs CREDIT_SCOPE (wallet:credit) or wallet:admin.
describe("gateway credit scope", () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const credit = (
    token: string,
    walletId: string,
    amount: number,
    key = newKey("credit"),
    gw = stack.gateway,
  ) =>
    gw.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount },
      headers: { "idempotency-key": key },
    });
  const history = async (token: string, walletId: string) =>
    (await stack.gateway.call("GET", `/api/transactions?walletId=${walletId}`, { token })).body.data.items;

  it("a plain user token is 403 FORBIDDEN on credit, nothing applied; the same key with the scope then applies once", async () => {
    const plain = await stack.token("plain-user", { scope: "" });
    const walletId = await fundedWallet(stack.gateway, plain, "USD");
    const key = newKey("no-scope");
    const refused = await credit(plain, walletId, 9_007_199_254_740_991, key);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: "FORBIDDEN",
      message: "Crediting needs the wallet:credit scope",
    });
    expect(await balanceOf(stack.gateway, plain, walletId)).toBe(0);
    expect(await history(plain, walletId)).toEqual([]);
    // 403 is about the credential: it is not kept for replay under the Idempotency-Key.
    const scoped = await stack.token("plain-user");
    const applied = await credit(scoped, walletId, 100, key);
    expect(applied.status).toBe(200);
    expect(applied.headers.get("idempotent-replayed")).toBeNull();
    expect(await balanceOf(stack.gateway, plain, walletId)).toBe(100);
    // Debits and transfers stay with the owner: the plain token moves its own money.
    const debit = await stack.gateway.call("POST", "/api/wallets/debit", {
      token: plain,
      body: { walletId, amount: 30 },
      headers: { "idempotency-key": newKey("debit") },
    });
    expect(debit.status).toBe(200);
    expect(await balanceOf(stack.gateway, plain, walletId)).toBe(70);
  });

  it("wallet:admin implies the credit scope", async () => {
    const admin = await stack.token("operator", { scope: "wallet:admin" });
    const walletId = await fundedWallet(stack.gateway, admin, "EUR");
    expect((await credit(admin, walletId, 5)).status).toBe(200);
  });

  it("the wallet checks the scope itself: a gateway configured with another CREDIT_SCOPE still cannot credit", async () => {
    const lax = await stack.startGateway({ CREDIT_SCOPE: "openid" });
    const token = await stack.token("lax-user", { scope: "openid" });
    const walletId = await fundedWallet(lax, token, "USD");
    const res = await credit(token, walletId, 50, newKey("lax"), lax);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("FORBIDDEN");
    expect(await balanceOf(lax, token, walletId)).toBe(0);
  });
});
