import { randomUUID } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";
import { MAX_OWNER_ID_LENGTH } from "@wallet/contracts";
import { describe, expect, it } from "vitest";
import { call, createWallet, failure, newOwner, transfer, walletPerSuite } from "./harness.js";

/*
 * Inputs that pass a naive check and then fail inside PostgreSQL (NUL bytes,
 * versions above int64) must be refused by validation, before the store, with
 * INVALID_ARGUMENT and nothing applied.
 */
describe("wallet inputs the store cannot hold", () => {
  const suite = walletPerSuite();
  const create = (ownerId: string) => createWallet(suite.client, ownerId);
  const credit = (ownerId: string, walletId: string, metadata: Record<string, string>) =>
    call(suite.client, suite.client.credit, {
      ownerId,
      walletId,
      amount: 10n,
      idempotencyKey: randomUUID(),
      metadata,
    });
  const state = async (ownerId: string, walletId: string) => ({
    wallet: (await call(suite.client, suite.client.getWallet, { ownerId, walletId })).wallet,
    history: (
      await call(suite.client, suite.client.listTransactions, { ownerId, walletId, limit: 100, cursor: "" })
    ).transactions,
  });
  const invalid = { code: status.INVALID_ARGUMENT, reason: "VALIDATION_FAILED" };

  it.each([
    ["a metadata value with NUL", { note: "a\u0000b" }],
    ["a metadata key with NUL", { "k\u0000": "v" }],
  ])("%s - INVALID_ARGUMENT on credit, debit and transfer, nothing applied", async (_name, metadata) => {
    const c = suite.client;
    const alice = newOwner();
    const wallet = await create(alice);
    const other = await create(newOwner());
    await credit(alice, wallet.id, {});
    const before = await state(alice, wallet.id);
    expect(await failure(credit(alice, wallet.id, metadata))).toMatchObject(invalid);
    expect(
      await failure(
        call(c, c.debit, {
          ownerId: alice,
          walletId: wallet.id,
          amount: 1n,
          idempotencyKey: randomUUID(),
          metadata,
        }),
      ),
    ).toMatchObject(invalid);
    expect(
      await failure(
        transfer(c, { ownerId: alice, fromWalletId: wallet.id, toWalletId: other.id, amount: 1n, metadata }),
      ),
    ).toMatchObject(invalid);
    expect(await state(alice, wallet.id)).toEqual(before);
  });

  it("a cursor above 2^63-1 - INVALID_ARGUMENT, like any cursor this service did not issue", async () => {
    const c = suite.client;
    const alice = newOwner();
    const wallet = await create(alice);
    for (const version of ["9999999999999999999", "9223372036854775808"]) {
      const cursor = Buffer.from(`v1.${version}`).toString("base64url");
      expect(
        await failure(
          call(c, c.listTransactions, { ownerId: alice, walletId: wallet.id, limit: 10, cursor }),
        ),
      ).toMatchObject(invalid);
    }
    // The largest int64 is a valid (if empty) position.
    const top = Buffer.from("v1.9223372036854775807").toString("base64url");
    const page = await call(c, c.listTransactions, {
      ownerId: alice,
      walletId: wallet.id,
      limit: 10,
      cursor: top,
    });
    expect(page.transactions).toEqual([]);
  });

  it.each([
    ["NUL", "a\u0000@example.com"],
    ["a bell", "a\u0007@example.com"],
    ["a newline", "a@example.com\nBcc: x@example.com"],
    ["321 characters", `${"a".repeat(309)}@example.com`],
  ])("an owner email with %s - INVALID_ARGUMENT, no wallet created", async (_name, ownerEmail) => {
    const c = suite.client;
    const alice = newOwner();
    expect(
      await failure(call(c, c.createWallet, { ownerId: alice, currency: "USD", ownerEmail })),
    ).toMatchObject(invalid);
    expect((await call(c, c.listWallets, { ownerId: alice })).wallets).toEqual([]);
  });

  it("owner ids - the shared limit is accepted, one more character is INVALID_ARGUMENT", async () => {
    const c = suite.client;
    const longest = `u${"x".repeat(MAX_OWNER_ID_LENGTH - 1)}`;
    expect((await create(longest)).ownerId).toBe(longest);
    expect(
      await failure(call(c, c.createWallet, { ownerId: `${longest}x`, currency: "USD", ownerEmail: "" })),
    ).toMatchObject(invalid);
    expect(
      await failure(call(c, c.createWallet, { ownerId: "a\u0000b", currency: "USD", ownerEmail: "" })),
    ).toMatchObject(invalid);
  });

  it("metadata lengths count characters, not UTF-16 units, as the gateway's schema does", async () => {
    const alice = newOwner();
    const wallet = await create(alice);
    const emoji = "\u{1F600}".repeat(512);
    const res = await credit(alice, wallet.id, { note: emoji });
    expect(res.transaction?.metadata).toEqual({ note: emoji });
    expect(await failure(credit(alice, wallet.id, { note: `${emoji}x` }))).toMatchObject(invalid);
  });

  it("bytes that are not a valid message - INVALID_ARGUMENT, not INTERNAL", async () => {
    const c = suite.client;
    for (const bytes of [[0xff], [0x0a, 0x05, 0x61], [0x0a, 0x02, 0xc3, 0x28]]) {
      const outcome = await failure(
        new Promise((resolve, reject) =>
          c.makeUnaryRequest<Buffer, Buffer>(
            "/wallet.v1.WalletService/Credit",
            (b) => b,
            (b) => b,
            Buffer.from(bytes),
            new Metadata(),
            {},
            (err, res) => (err ? reject(err) : resolve(res)),
          ),
        ),
      );
      expect(outcome, Buffer.from(bytes).toString("hex")).toMatchObject(invalid);
    }
  });
});
