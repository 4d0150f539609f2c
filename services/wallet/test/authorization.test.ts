import { randomUUID } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bufCurl,
  bufCurlFailure,
  call,
  failure,
  JWT_SECRET,
  testToken,
  type Unary,
  walletPerSuite,
} from "./harness.js";

// Every WalletService method checks the caller's token (issue: trust boundaries, item 1 and 3).
describe("wallet gRPC authorization", () => {
  const suite = walletPerSuite();
  /** A client that adds no token of its own. */
  let bare: WalletServiceClient;
  let alice: string;
  let bob: string;
  let aliceToken: string;
  let bobToken: string;
  let aliceWallet: string;
  let bobWallet: string;

  beforeAll(async () => {
    bare = new WalletServiceClient(`127.0.0.1:${suite.wallet.app.grpcPort}`, credentials.createInsecure());
    alice = `alice-${randomUUID()}`;
    bob = `bob-${randomUUID()}`;
    aliceToken = await testToken(alice, "wallet:credit");
    bobToken = await testToken(bob, "wallet:credit");
    const c = suite.client;
    aliceWallet = (await call(c, c.createWallet, { ownerId: alice, currency: "USD", ownerEmail: "" })).wallet!
      .id;
    bobWallet = (await call(c, c.createWallet, { ownerId: bob, currency: "USD", ownerEmail: "" })).wallet!.id;
    await call(c, c.credit, {
      ownerId: alice,
      walletId: aliceWallet,
      amount: 1000n,
      idempotencyKey: "seed",
      metadata: {},
    });
  });
  // Closes before the wallet does: afterAll hooks run last-registered first.
  afterAll(() => bare?.close());

  const balanceOf = async (ownerId: string, walletId: string) =>
    (await call(suite.client, suite.client.getWallet, { ownerId, walletId })).wallet!.balance;
  const historyOf = async (ownerId: string, walletId: string) =>
    (await call(suite.client, suite.client.listTransactions, { ownerId, walletId, limit: 100, cursor: "" }))
      .transactions;

  it("no token: every WalletService method is UNAUTHENTICATED and nothing is applied", async () => {
    const money = { amount: 5n, idempotencyKey: randomUUID(), metadata: {} };
    const attempts = [
      call(bare, bare.createWallet, { ownerId: alice, currency: "EUR", ownerEmail: "" }),
      call(bare, bare.getWallet, { ownerId: alice, walletId: aliceWallet }),
      call(bare, bare.listWallets, { ownerId: alice }),
      call(bare, bare.credit, { ownerId: alice, walletId: aliceWallet, ...money }),
      call(bare, bare.debit, { ownerId: alice, walletId: aliceWallet, ...money }),
      call(bare, bare.transfer, {
        ownerId: alice,
        fromWalletId: aliceWallet,
        toWalletId: bobWallet,
        ...money,
      }),
      call(bare, bare.listTransactions, { ownerId: alice, walletId: aliceWallet, limit: 10, cursor: "" }),
      call(bare, bare.getTransaction, { ownerId: alice, transactionId: randomUUID() }),
    ];
    const results = await Promise.all(attempts.map(failure));
    expect(results).toHaveLength(8);
    for (const r of results)
      expect(r).toMatchObject({ code: status.UNAUTHENTICATED, reason: "UNAUTHORIZED" });
    expect(await balanceOf(alice, aliceWallet)).toBe(1000n);
    expect(await balanceOf(bob, bobWallet)).toBe(0n);
    expect((await call(suite.client, suite.client.listWallets, { ownerId: alice })).wallets).toHaveLength(1);
  });

  it("bad tokens (wrong key, expired, unsigned, not Bearer) are UNAUTHENTICATED", async () => {
    const wrongKey = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("another-secret-of-at-least-32-characters"));
    const expired = await testToken(alice, "wallet:credit", -10);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({ sub: alice, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString("base64url")}.`;
    for (const token of [wrongKey, expired, unsigned, "not-a-jwt"]) {
      const r = await failure(call(bare, bare.listWallets, { ownerId: alice }, undefined, token));
      expect(r, token).toMatchObject({ code: status.UNAUTHENTICATED, reason: "UNAUTHORIZED" });
    }
    expect(JWT_SECRET).not.toBe("another-secret-of-at-least-32-characters");
  });

  it("another user's token: naming alice is NOT_FOUND exactly like a missing wallet, and moves nothing", async () => {
    const missing = await failure(
      call(bare, bare.getWallet, { ownerId: bob, walletId: randomUUID() }, undefined, bobToken),
    );
    expect(missing).toMatchObject({ code: status.NOT_FOUND, reason: "WALLET_NOT_FOUND" });
    const key = randomUUID();
    // How a call with bob's token fails.
    const asBob = <Req, Res>(method: Unary<Req, Res>, req: Req) =>
      failure(call(bare, method, req, undefined, bobToken));
    // Bob's token moving 500 from alice's wallet to his, naming ownerId.
    const bobTransfer = (ownerId: string) =>
      asBob(bare.transfer, {
        ownerId,
        fromWalletId: aliceWallet,
        toWalletId: bobWallet,
        amount: 500n,
        idempotencyKey: key,
        metadata: {},
      });
    const refusals = await Promise.all([
      asBob(bare.getWallet, { ownerId: alice, walletId: aliceWallet }),
      asBob(bare.listWallets, { ownerId: alice }),
      asBob(bare.listTransactions, { ownerId: alice, walletId: aliceWallet, limit: 5, cursor: "" }),
      asBob(bare.debit, {
        ownerId: alice,
        walletId: aliceWallet,
        amount: 10n,
        idempotencyKey: key,
        metadata: {},
      }),
      // The attack the issue describes: Transfer{owner: victim, from: victim's wallet, to: mine}.
      bobTransfer(alice),
      asBob(bare.createWallet, { ownerId: alice, currency: "GBP", ownerEmail: "" }),
    ]);
    const [transferRefusal] = refusals.splice(4, 1);
    for (const r of refusals) expect(r).toEqual(missing);
    // Naming himself but alice's wallet was already NOT_FOUND (every query filters by owner):
    // a transfer refused for its owner answers exactly that.
    expect(transferRefusal).toEqual(await bobTransfer(bob));
    expect(transferRefusal).toMatchObject({ code: status.NOT_FOUND, reason: "WALLET_NOT_FOUND" });
    expect(await balanceOf(alice, aliceWallet)).toBe(1000n);
    expect(await balanceOf(bob, bobWallet)).toBe(0n);
    expect(await historyOf(alice, aliceWallet)).toHaveLength(1);
    expect(
      (await call(suite.client, suite.client.listWallets, { ownerId: alice })).wallets.map((x) => x.currency),
    ).toEqual(["USD"]);
  });

  it("an empty owner_id means the token's own subject", async () => {
    const mine = await call(bare, bare.listWallets, { ownerId: "" }, undefined, aliceToken);
    expect(mine.wallets.map((x) => x.id)).toEqual([aliceWallet]);
    const got = await call(
      bare,
      bare.getWallet,
      { ownerId: "", walletId: aliceWallet },
      undefined,
      aliceToken,
    );
    expect(got.wallet).toMatchObject({ id: aliceWallet, ownerId: alice });
  });

  it("credit without the credit scope is PERMISSION_DENIED and applies nothing; with it, it applies", async () => {
    const plain = await testToken(alice);
    const other = await testToken(alice, "wallet:read openid");
    const key = randomUUID();
    const req = { ownerId: alice, walletId: aliceWallet, amount: 250n, idempotencyKey: key, metadata: {} };
    for (const token of [plain, other]) {
      expect(await failure(call(bare, bare.credit, req, undefined, token))).toMatchObject({
        code: status.PERMISSION_DENIED,
        reason: "FORBIDDEN",
      });
    }
    expect(await balanceOf(alice, aliceWallet)).toBe(1000n);
    expect(await historyOf(alice, aliceWallet)).toHaveLength(1);
    // Debits stay with the owner: no scope needed.
    const debited = await call(
      bare,
      bare.debit,
      { ...req, amount: 1n, idempotencyKey: randomUUID() },
      undefined,
      plain,
    );
    expect(debited.transaction?.balanceAfter).toBe(999n);
    // The same key with the scope applies once: the refused attempts left no record behind.
    const credited = await call(bare, bare.credit, req, undefined, aliceToken);
    expect(credited).toMatchObject({ replayed: false });
    expect(credited.transaction?.balanceAfter).toBe(1249n);
  });

  it("scopes come from `scope` (space separated) or an `scp` array", async () => {
    const scp = await new SignJWT({ scp: ["openid", "wallet:credit"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(bob)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(JWT_SECRET));
    // A credit of bob's wallet, which only a token with the credit scope may make.
    const creditBob = (amount: bigint, token: string) =>
      call(
        bare,
        bare.credit,
        { ownerId: bob, walletId: bobWallet, amount, idempotencyKey: randomUUID(), metadata: {} },
        undefined,
        token,
      );
    const res = await creditBob(7n, scp);
    expect(res.transaction?.balanceAfter).toBe(7n);
    const again = await creditBob(3n, await testToken(bob, "openid wallet:credit"));
    expect(again.transaction?.balanceAfter).toBe(10n);
  });

  it("buf curl: no token is Unauthenticated, an operator token (wallet:admin) acts for any owner; health and reflection stay open", async () => {
    const target = `http://127.0.0.1:${suite.wallet.app.grpcPort}`;
    expect((await bufCurl("--list-services", target)).split("\n")).toContain("wallet.v1.WalletService");
    expect(JSON.parse(await bufCurl("-d", "{}", `${target}/grpc.health.v1.Health/Check`)).status).toBe(
      "SERVING",
    );

    const body = JSON.stringify({ owner_id: alice });
    const refused = await bufCurlFailure("-d", body, `${target}/wallet.v1.WalletService/ListWallets`);
    expect(refused).toMatch(/unauthenticated/i);
    // The arguments of a WalletService call with a bearer token.
    const withToken = (token: string, request: string, method: string) => [
      "-H",
      `authorization: Bearer ${token}`,
      "-d",
      request,
      `${target}/wallet.v1.WalletService/${method}`,
    ];
    const asBob = await bufCurlFailure(...withToken(bobToken, body, "ListWallets"));
    expect(asBob).toMatch(/not[_ ]found/i);

    const admin = await testToken("operator-1", "wallet:admin");
    const listed = JSON.parse(await bufCurl(...withToken(admin, body, "ListWallets")));
    expect(listed.wallets.map((x: { id: string }) => x.id)).toEqual([aliceWallet]);
    const before = await balanceOf(bob, bobWallet);
    const credit = { owner_id: bob, wallet_id: bobWallet, amount: "40", idempotency_key: randomUUID() };
    const credited = JSON.parse(await bufCurl(...withToken(admin, JSON.stringify(credit), "Credit")));
    expect(credited.transaction.balanceAfter).toBe(String(before + 40n));
  });
});
