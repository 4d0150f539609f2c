import { randomUUID } from "node:crypto";
import { type ServiceError, status } from "@grpc/grpc-js";
import { ErrorInfo, RpcStatus, STATUS_DETAILS_KEY, TransactionType } from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import {
  bufCurl,
  bufCurlFailure,
  call,
  createWallet,
  failure,
  newOwner,
  testToken,
  transfer,
  walletPerSuite,
} from "./harness.js";

describe("wallet gRPC", () => {
  const suite = walletPerSuite();
  const create = (ownerId: string, currency = "USD") =>
    createWallet(suite.client, ownerId, currency, `${ownerId}@example.com`);
  const credit = (ownerId: string, walletId: string, amount: bigint, idempotencyKey: string = randomUUID()) =>
    call(suite.client, suite.client.credit, { ownerId, walletId, amount, idempotencyKey, metadata: {} });
  const debit = (
    ownerId: string,
    walletId: string,
    amount: bigint,
    extra: { expectedVersion?: bigint } = {},
  ) =>
    call(suite.client, suite.client.debit, {
      ownerId,
      walletId,
      amount,
      idempotencyKey: randomUUID(),
      metadata: {},
      ...extra,
    });

  it("rpc - every method's success path", async () => {
    const c = suite.client;
    const alice = newOwner();
    const bob = newOwner();
    const wallet = await create(alice);
    expect(wallet).toMatchObject({ ownerId: alice, currency: "USD", balance: 0n, version: 0n });
    expect(wallet.createdAt).toBeInstanceOf(Date);
    const bobs = await create(bob);
    expect((await call(c, c.getWallet, { ownerId: alice, walletId: wallet.id })).wallet?.id).toBe(wallet.id);
    expect((await call(c, c.listWallets, { ownerId: alice })).wallets.map((x) => x.id)).toEqual([wallet.id]);
    const cr = await call(c, c.credit, {
      ownerId: alice,
      walletId: wallet.id,
      amount: 100n,
      idempotencyKey: "txn-123",
      metadata: { ref: "order-456" },
    });
    expect(cr).toMatchObject({ replayed: false });
    expect(cr.transaction).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_CREDIT,
      amount: 100n,
      balanceAfter: 100n,
      walletVersion: 1n,
      metadata: { ref: "order-456" },
    });
    const db = await debit(alice, wallet.id, 30n);
    expect(db.transaction?.balanceAfter).toBe(70n);
    const tr = await transfer(c, {
      ownerId: alice,
      fromWalletId: wallet.id,
      toWalletId: bobs.id,
      amount: 20n,
    });
    expect(tr.transferId).not.toBe("");
    expect(tr.debit).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_TRANSFER_OUT,
      balanceAfter: 50n,
    });
    const page = await call(c, c.listTransactions, {
      ownerId: alice,
      walletId: wallet.id,
      limit: 2,
      cursor: "",
    });
    expect(page.transactions.map((t) => t.walletVersion)).toEqual([3n, 2n]);
    const rest = await call(c, c.listTransactions, {
      ownerId: alice,
      walletId: wallet.id,
      limit: 2,
      cursor: page.nextCursor,
    });
    expect(rest.transactions.map((t) => t.walletVersion)).toEqual([1n]);
    expect(rest.nextCursor).toBe("");
    const got = await call(c, c.getTransaction, { ownerId: alice, transactionId: cr.transaction!.id });
    expect(got.transaction?.id).toBe(cr.transaction!.id);
    expect((await call(c, c.getWallet, { ownerId: bob, walletId: bobs.id })).wallet?.balance).toBe(20n);
  });

  it("errors - each row of the error table with its status and reason", async () => {
    const c = suite.client;
    const alice = newOwner();
    const wallet = await create(alice);
    const eur = await create(alice, "EUR");
    await credit(alice, wallet.id, 100n, "k-1");
    const expectFailure = async (p: Promise<unknown>, code: status, reason: string) =>
      expect(await failure(p)).toMatchObject({ code, reason });
    const INVALID = status.INVALID_ARGUMENT;
    for (const amount of [0n, -10n, 9007199254740992n]) {
      await expectFailure(credit(alice, wallet.id, amount), INVALID, "VALIDATION_FAILED");
    }
    await expectFailure(
      call(c, c.createWallet, { ownerId: alice, currency: "usd", ownerEmail: "" }),
      INVALID,
      "VALIDATION_FAILED",
    );
    await expectFailure(
      call(c, c.listTransactions, { ownerId: alice, walletId: wallet.id, limit: 101, cursor: "" }),
      INVALID,
      "VALIDATION_FAILED",
    );
    await expectFailure(
      call(c, c.listTransactions, { ownerId: alice, walletId: wallet.id, limit: 10, cursor: "garbage!" }),
      INVALID,
      "VALIDATION_FAILED",
    );
    await expectFailure(credit(alice, "", 1n), INVALID, "VALIDATION_FAILED");
    await expectFailure(credit(alice, wallet.id, 1n, ""), INVALID, "VALIDATION_FAILED");
    await expectFailure(credit("x".repeat(300), wallet.id, 1n), INVALID, "VALIDATION_FAILED");
    await expectFailure(
      call(c, c.getWallet, { ownerId: newOwner(), walletId: wallet.id }),
      status.NOT_FOUND,
      "WALLET_NOT_FOUND",
    );
    await expectFailure(debit(alice, "wrong", 1n), status.NOT_FOUND, "WALLET_NOT_FOUND");
    await expectFailure(debit(alice, randomUUID(), 1n), status.NOT_FOUND, "WALLET_NOT_FOUND");
    await expectFailure(
      call(c, c.createWallet, { ownerId: alice, currency: "USD", ownerEmail: "" }),
      status.ALREADY_EXISTS,
      "WALLET_EXISTS",
    );
    const insufficient = await failure(debit(alice, wallet.id, 200n));
    expect(insufficient).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "INSUFFICIENT_FUNDS",
      details: "Insufficient funds",
    });
    await expectFailure(
      transfer(c, { ownerId: alice, fromWalletId: wallet.id, toWalletId: eur.id, amount: 1n }),
      status.FAILED_PRECONDITION,
      "CURRENCY_MISMATCH",
    );
    await expectFailure(
      credit(alice, wallet.id, 5n, "k-1"),
      status.FAILED_PRECONDITION,
      "IDEMPOTENCY_KEY_REUSED",
    );
    const stale = await failure(debit(alice, wallet.id, 1n, { expectedVersion: 0n }));
    expect(stale).toMatchObject({
      code: status.ABORTED,
      reason: "CONCURRENT_UPDATE",
      details: "Balance changed concurrently",
    });
    // Nothing above changed the wallet.
    expect((await call(c, c.getWallet, { ownerId: alice, walletId: wallet.id })).wallet).toMatchObject({
      balance: 100n,
      version: 1n,
    });
  });

  it("idempotency - replay returns the same transaction, applies once, keys are per owner", async () => {
    const c = suite.client;
    const alice = newOwner();
    const bob = newOwner();
    const wa = await create(alice);
    const wb = await create(bob);
    const first = await credit(alice, wa.id, 100n, "shared-key");
    const again = await credit(alice, wa.id, 100n, "shared-key");
    expect(again.replayed).toBe(true);
    expect(again.transaction).toEqual(first.transaction);
    const bobs = await credit(bob, wb.id, 100n, "shared-key");
    expect(bobs.replayed).toBe(false);
    expect((await call(c, c.getWallet, { ownerId: alice, walletId: wa.id })).wallet?.balance).toBe(100n);
  });

  it("concurrency - 50 concurrent debits of 75 on 100: one succeeds, the rest INSUFFICIENT_FUNDS", async () => {
    const c = suite.client;
    const alice = newOwner();
    const wallet = await create(alice);
    await credit(alice, wallet.id, 100n);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => debit(alice, wallet.id, 75n)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const reasons = await Promise.all(
      results
        .filter((r) => r.status === "rejected")
        .map((r) => failure(Promise.reject((r as PromiseRejectedResult).reason))),
    );
    expect(reasons.map((r) => r.reason)).toEqual(Array(reasons.length).fill("INSUFFICIENT_FUNDS"));
    expect(reasons.length).toBeGreaterThan(0);
    expect((await call(c, c.getWallet, { ownerId: alice, walletId: wallet.id })).wallet?.balance).toBe(25n);
  });

  it("concurrency - a transfer storm over gRPC reports no deadlock to clients", async () => {
    const c = suite.client;
    const owners = Array.from({ length: 10 }, newOwner);
    const wallets = await Promise.all(owners.map((o) => create(o)));
    await Promise.all(wallets.map((wl, i) => credit(owners[i], wl.id, 1000n)));
    const deadline = Date.now() + 3000;
    const unexpected: string[] = [];
    const worker = async () => {
      while (Date.now() < deadline) {
        const i = Math.floor(Math.random() * 10);
        const j = (i + 1 + Math.floor(Math.random() * 9)) % 10;
        const outcome = await transfer(c, {
          ownerId: owners[i],
          fromWalletId: wallets[i].id,
          toWalletId: wallets[j].id,
          amount: BigInt(1 + Math.floor(Math.random() * 300)),
        }).then(
          () => "",
          (e) => failure(Promise.reject(e)).then((f) => f.reason),
        );
        if (outcome && outcome !== "INSUFFICIENT_FUNDS") unexpected.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(unexpected).toEqual([]);
    const balances = await Promise.all(
      wallets.map((wl, i) => call(c, c.getWallet, { ownerId: owners[i], walletId: wl.id })),
    );
    expect(balances.reduce((s, r) => s + r.wallet!.balance, 0n)).toBe(10_000n);
  });

  it("errors - the reason travels as google.rpc.ErrorInfo in grpc-status-details-bin", async () => {
    const alice = newOwner();
    const wallet = await create(alice);
    const err = (await debit(alice, wallet.id, 1n).then(
      () => expect.unreachable("the debit should fail"),
      (e: unknown) => e,
    )) as ServiceError;
    const bin = err.metadata.get(STATUS_DETAILS_KEY);
    expect(bin).toHaveLength(1);
    expect(bin[0]).toBeInstanceOf(Buffer);
    const st = RpcStatus.decode(bin[0] as Buffer);
    expect(st).toMatchObject({ code: status.FAILED_PRECONDITION, message: "Insufficient funds" });
    expect(st.details.map((d) => d.typeUrl)).toEqual(["type.googleapis.com/google.rpc.ErrorInfo"]);
    expect(ErrorInfo.decode(st.details[0]!.value)).toEqual({
      reason: "INSUFFICIENT_FUNDS",
      domain: "wallet.v1",
      metadata: {},
    });
    // The reason is no longer duplicated in a trailer of its own.
    expect(err.metadata.get("error-code")).toEqual([]);
  });

  it("errors - buf curl shows the ErrorInfo of a failed call", async () => {
    const target = `http://127.0.0.1:${suite.wallet.app.grpcPort}`;
    const token = await testToken("buf-error-user");
    const stderr = await bufCurlFailure(
      "-H",
      `authorization: Bearer ${token}`,
      "-d",
      `{"wallet_id":"${randomUUID()}"}`,
      `${target}/wallet.v1.WalletService/GetWallet`,
    );
    // buf curl prints the status with its details; the value is the ErrorInfo, base64-encoded.
    const printed = JSON.parse(stderr) as { code: string; details: Array<{ type: string; value: string }> };
    expect(printed.code).toBe("not_found");
    expect(printed.details.map((d) => d.type)).toEqual(["google.rpc.ErrorInfo"]);
    expect(ErrorInfo.decode(Buffer.from(printed.details[0]!.value, "base64"))).toMatchObject({
      reason: "WALLET_NOT_FOUND",
      domain: "wallet.v1",
    });
  });

  it("reflection - the running wallet is listed, described and called by buf curl without a schema", async () => {
    const target = `http://127.0.0.1:${suite.wallet.app.grpcPort}`;
    const services = (await bufCurl("--list-services", target)).split("\n");
    expect(services).toEqual(expect.arrayContaining(["wallet.v1.WalletService", "grpc.health.v1.Health"]));
    const methods = await bufCurl("--list-methods", target);
    expect(methods).toContain("wallet.v1.WalletService/Credit");
    const admin = await testToken("buf-operator", "wallet:admin");
    const created = JSON.parse(
      await bufCurl(
        "-H",
        `authorization: Bearer ${admin}`,
        "-d",
        '{"owner_id":"buf-user","currency":"USD"}',
        `${target}/wallet.v1.WalletService/CreateWallet`,
      ),
    );
    expect(created.wallet).toMatchObject({ ownerId: "buf-user", currency: "USD" });
    expect(created.wallet.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const health = JSON.parse(await bufCurl("-d", "{}", `${target}/grpc.health.v1.Health/Check`));
    expect(health.status).toBe("SERVING");
  });
});
