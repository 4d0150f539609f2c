import { randomUUID } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TransactionType, WalletServiceClient } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { waitUntil } from "../../../test/support/wait.js";
import { call, failure, type RunningWallet, startTestWallet, testToken, transfer } from "./harness.js";
import { eventsOf, readEvents } from "./holdEvents.js";

describe("reversals over gRPC (PostgreSQL, NATS)", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let w: RunningWallet;
  let c: WalletServiceClient;
  /** A client without a default token: each call brings its own. */
  let bare: WalletServiceClient;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    w = await startTestWallet({ NATS_URL: nats.url });
    c = w.client;
    bare = new WalletServiceClient(`127.0.0.1:${w.app.grpcPort}`, credentials.createInsecure());
  });
  afterAll(async () => {
    bare?.close();
    await w?.close();
    await nc?.close();
    await nats?.destroy();
  });

  const owner = async (currency = "USD") => {
    const ownerId = `user-${randomUUID()}`;
    const wallet = (await call(c, c.createWallet, { ownerId, currency, ownerEmail: "" })).wallet!;
    return { ownerId, walletId: wallet.id };
  };
  const credit = async (o: { ownerId: string; walletId: string }, amount: bigint) =>
    (await call(c, c.credit, { ...o, amount, idempotencyKey: randomUUID(), metadata: {} })).transaction!;
  const reverse = (ownerId: string, transactionId: string, amount: bigint, extra: object = {}) =>
    call(c, c.reverseTransaction, {
      ownerId,
      transactionId,
      amount,
      idempotencyKey: randomUUID(),
      metadata: {},
      ...extra,
    });
  const balanceOf = async (o: { ownerId: string; walletId: string }) =>
    (await call(c, c.getWallet, o)).wallet!.balance;
  const txOf = async (ownerId: string, transactionId: string) =>
    (await call(c, c.getTransaction, { ownerId, transactionId })).transaction!;

  it("a credit is reversed in parts, then the rest with amount 0; beyond that is AMOUNT_EXCEEDS_REMAINING", async () => {
    const o = await owner();
    const original = await credit(o, 1000n);
    const first = await reverse(o.ownerId, original.id, 300n, { metadata: { reason: "refund" } });
    expect(first.replayed).toBe(false);
    expect(first.transferId).toBe("");
    expect(first.reversal).toMatchObject({
      walletId: o.walletId,
      type: TransactionType.TRANSACTION_TYPE_DEBIT,
      amount: 300n,
      balanceAfter: 700n,
      reversalOf: original.id,
      reversedAmount: 0n,
      metadata: { reason: "refund" },
    });
    expect((await txOf(o.ownerId, original.id)).reversedAmount).toBe(300n);
    expect(await failure(reverse(o.ownerId, original.id, 701n))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "AMOUNT_EXCEEDS_REMAINING",
    });
    const rest = await reverse(o.ownerId, original.id, 0n);
    expect(rest.reversal).toMatchObject({ amount: 700n, balanceAfter: 0n, reversalOf: original.id });
    expect((await txOf(o.ownerId, original.id)).reversedAmount).toBe(1000n);
    expect(await failure(reverse(o.ownerId, original.id, 0n))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "AMOUNT_EXCEEDS_REMAINING",
    });
    // A reversal is not reversible.
    expect(await failure(reverse(o.ownerId, first.reversal!.id, 0n))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "NOT_REVERSIBLE",
    });
    expect(await balanceOf(o)).toBe(0n);
  });

  it("validation and not found: negative amounts, bad keys and ids change nothing; another owner's transaction is not found", async () => {
    const o = await owner();
    const other = await owner();
    const original = await credit(o, 500n);
    for (const extra of [
      { amount: -1n },
      { idempotencyKey: "" },
      { transactionId: "" },
      { metadata: { "": "x" } },
    ]) {
      const r = await failure(
        call(c, c.reverseTransaction, {
          ownerId: o.ownerId,
          transactionId: original.id,
          amount: 10n,
          idempotencyKey: randomUUID(),
          metadata: {},
          ...extra,
        }),
      );
      expect(r).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "VALIDATION_FAILED" });
    }
    for (const [ownerId, id] of [
      [other.ownerId, original.id],
      [o.ownerId, randomUUID()],
      [o.ownerId, "nope"],
    ]) {
      expect(await failure(reverse(ownerId, id, 0n))).toMatchObject({
        code: status.NOT_FOUND,
        reason: "WALLET_NOT_FOUND",
        details: "Transaction not found",
      });
    }
    // A user token naming another owner gets the same answer.
    const otherToken = await testToken(other.ownerId, "wallet:credit");
    expect(
      await failure(
        call(
          bare,
          bare.reverseTransaction,
          { ownerId: o.ownerId, transactionId: original.id, amount: 0n, idempotencyKey: "k", metadata: {} },
          undefined,
          otherToken,
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND, reason: "WALLET_NOT_FOUND", details: "Transaction not found" });
    expect(await balanceOf(o)).toBe(500n);
    expect((await txOf(o.ownerId, original.id)).reversedAmount).toBe(0n);
  });

  it("reversing a debit needs the credit scope: the owner's plain token is PERMISSION_DENIED, with the scope it credits back", async () => {
    const o = await owner();
    await credit(o, 1000n);
    const debit = (await call(c, c.debit, { ...o, amount: 400n, idempotencyKey: randomUUID(), metadata: {} }))
      .transaction!;
    const plain = await testToken(o.ownerId);
    const scoped = await testToken(o.ownerId, "wallet:credit");
    const req = {
      ownerId: "",
      transactionId: debit.id,
      amount: 0n,
      idempotencyKey: randomUUID(),
      metadata: {},
    };
    expect(await failure(call(bare, bare.reverseTransaction, req, undefined, plain))).toMatchObject({
      code: status.PERMISSION_DENIED,
      reason: "FORBIDDEN",
    });
    expect(await balanceOf(o)).toBe(600n);
    const res = await call(bare, bare.reverseTransaction, req, undefined, scoped);
    expect(res.reversal).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_CREDIT,
      amount: 400n,
      balanceAfter: 1000n,
      reversalOf: debit.id,
    });
    // Reversing a credit takes money back: the plain token may do that.
    const top = await credit(o, 50n);
    const back = await call(
      bare,
      bare.reverseTransaction,
      { ...req, transactionId: top.id, idempotencyKey: randomUUID() },
      undefined,
      plain,
    );
    expect(back.reversal).toMatchObject({ type: TransactionType.TRANSACTION_TYPE_DEBIT, amount: 50n });
    expect(await balanceOf(o)).toBe(1000n);
  });

  it("a transfer is reversed through its TRANSFER_IN leg by the receiver, as a new transfer back; the TRANSFER_OUT leg is NOT_REVERSIBLE", async () => {
    const payer = await owner();
    const payee = await owner();
    await credit(payer, 1000n);
    const t = await transfer(c, {
      ownerId: payer.ownerId,
      fromWalletId: payer.walletId,
      toWalletId: payee.walletId,
      amount: 600n,
    });
    const outLeg = t.debit!;
    const [inLeg] = (await call(c, c.listTransactions, { ...payee, limit: 1, cursor: "" })).transactions;
    expect(inLeg.type).toBe(TransactionType.TRANSACTION_TYPE_TRANSFER_IN);
    const out = await failure(reverse(payer.ownerId, outLeg.id, 0n));
    expect(out).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "NOT_REVERSIBLE" });
    expect(out.details).toMatch(/TRANSFER_IN/);
    // The payer cannot reverse the payee's leg.
    expect(await failure(reverse(payer.ownerId, inLeg.id, 0n))).toMatchObject({
      code: status.NOT_FOUND,
      reason: "WALLET_NOT_FOUND",
    });

    const res = await reverse(payee.ownerId, inLeg.id, 250n);
    expect(res.transferId).not.toBe("");
    expect(res.transferId).not.toBe(t.transferId);
    expect(res.reversal).toMatchObject({
      walletId: payee.walletId,
      type: TransactionType.TRANSACTION_TYPE_TRANSFER_OUT,
      amount: 250n,
      balanceAfter: 350n,
      counterpartyWalletId: payer.walletId,
      reversalOf: inLeg.id,
      transferId: res.transferId,
    });
    const [back] = (await call(c, c.listTransactions, { ...payer, limit: 1, cursor: "" })).transactions;
    expect(back).toMatchObject({
      type: TransactionType.TRANSACTION_TYPE_TRANSFER_IN,
      amount: 250n,
      reversalOf: outLeg.id,
      transferId: res.transferId,
    });
    expect((await txOf(payer.ownerId, outLeg.id)).reversedAmount).toBe(250n);
    expect((await txOf(payee.ownerId, inLeg.id)).reversedAmount).toBe(250n);
    expect([await balanceOf(payer), await balanceOf(payee)]).toEqual([650n, 350n]);
  });

  it("taking money back needs available funds: a hold in the way is INSUFFICIENT_FUNDS and nothing moves", async () => {
    const o = await owner();
    const original = await credit(o, 500n);
    await call(c, c.placeHold, {
      ...o,
      amount: 400n,
      idempotencyKey: randomUUID(),
      metadata: {},
      expiresInSeconds: 0n,
    });
    expect(await failure(reverse(o.ownerId, original.id, 200n))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "INSUFFICIENT_FUNDS",
    });
    expect((await reverse(o.ownerId, original.id, 100n)).reversal!.balanceAfter).toBe(400n);
    const wallet = (await call(c, c.getWallet, o)).wallet!;
    expect([wallet.balance, wallet.heldBalance, wallet.availableBalance]).toEqual([400n, 400n, 0n]);
    expect((await txOf(o.ownerId, original.id)).reversedAmount).toBe(100n);
  });

  it("idempotency: the same key and request replays the reversal; another request with the key is IDEMPOTENCY_KEY_REUSED", async () => {
    const o = await owner();
    const original = await credit(o, 500n);
    const req = {
      ownerId: o.ownerId,
      transactionId: original.id,
      amount: 100n,
      idempotencyKey: randomUUID(),
      metadata: { n: "1" },
    };
    const first = await call(c, c.reverseTransaction, req);
    expect(await call(c, c.reverseTransaction, req)).toEqual({ ...first, replayed: true });
    expect(await failure(call(c, c.reverseTransaction, { ...req, amount: 101n }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      reason: "IDEMPOTENCY_KEY_REUSED",
    });
    expect(await balanceOf(o)).toBe(400n);
    expect((await txOf(o.ownerId, original.id)).reversedAmount).toBe(100n);
  });

  it("events: each reversal transaction is a TransactionCommitted with reversal_of", async () => {
    const payer = await owner();
    const payee = await owner();
    await credit(payer, 300n);
    await transfer(c, {
      ownerId: payer.ownerId,
      fromWalletId: payer.walletId,
      toWalletId: payee.walletId,
      amount: 300n,
    });
    const [inLeg] = (await call(c, c.listTransactions, { ...payee, limit: 1, cursor: "" })).transactions;
    const res = await reverse(payee.ownerId, inLeg.id, 0n);
    await waitUntil("reversal events", async () => {
      const all = await readEvents(nc);
      return eventsOf(all, payer.walletId).length >= 3 && eventsOf(all, payee.walletId).length >= 2;
    });
    const all = await readEvents(nc);
    const reversals = [...eventsOf(all, payer.walletId), ...eventsOf(all, payee.walletId)].flatMap((e) =>
      "tx" in e && e.tx.reversalOf ? [e] : [],
    );
    expect(
      reversals.map((e) => [e.subject, TransactionType[e.tx.type], e.tx.amount, e.tx.transferId]).sort(),
    ).toEqual(
      [
        ["wallet.events.transaction.committed", "TRANSACTION_TYPE_TRANSFER_IN", 300n, res.transferId],
        ["wallet.events.transaction.committed", "TRANSACTION_TYPE_TRANSFER_OUT", 300n, res.transferId],
      ].sort(),
    );
    const outEvent = reversals.find((e) => e.tx.type === TransactionType.TRANSACTION_TYPE_TRANSFER_OUT)!;
    expect(outEvent.tx).toMatchObject({ transactionId: res.reversal!.id, reversalOf: inLeg.id });
    expect(new Set(reversals.map((e) => e.msgId)).size).toBe(2);
  });
});
