import { randomUUID } from "node:crypto";
import { HoldStatus, type WalletServiceClient } from "@wallet/contracts";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../../test/support/wait.js";
import { call, startTestWallet, walletPerSuite } from "./harness.js";

/** A new wallet credited with amount, all of it held by a hold that expires in a second. */
async function holdAllOf(c: WalletServiceClient, amount: bigint) {
  const ownerId = `user-${randomUUID()}`;
  const walletId = (await call(c, c.createWallet, { ownerId, currency: "USD", ownerEmail: "" })).wallet!.id;
  await call(c, c.credit, { ownerId, walletId, amount, idempotencyKey: randomUUID(), metadata: {} });
  const hold = (
    await call(c, c.placeHold, {
      ownerId,
      walletId,
      amount,
      idempotencyKey: randomUUID(),
      metadata: {},
      expiresInSeconds: 1n,
    })
  ).hold!;
  return { ownerId, walletId, hold };
}

describe("hold expiry worker", () => {
  const suite = walletPerSuite({ HOLD_EXPIRY_INTERVAL_MS: "100", WALLET_DB_LOCK_TIMEOUT_MS: "200" });
  let db: pg.Client;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: suite.wallet.dbUrl });
    await db.connect();
  });
  // Ends before the wallet closes: afterAll hooks run last-registered first.
  afterAll(() => db?.end());

  it("expiry - rounds that fail (holds table locked past lock_timeout) neither stop the worker nor the wallet; the hold expires once the lock is gone", async () => {
    const c = suite.client;
    const { ownerId, walletId, hold } = await holdAllOf(c, 100n);

    await db.query("BEGIN");
    await db.query("LOCK TABLE holds IN ACCESS EXCLUSIVE MODE");
    // Past the expiry, with several worker rounds timing out on the lock meanwhile.
    const waiting = new pg.Client({ connectionString: suite.wallet.dbUrl });
    await waiting.connect();
    try {
      await waitUntil("the worker waiting for the lock", async () => {
        const r = await waiting.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'holds'::regclass",
        );
        return r.rows[0].n > 0;
      });
    } finally {
      await waiting.end();
    }
    await new Promise((r) => setTimeout(r, 1500));
    const during = await db.query("SELECT status FROM holds WHERE id = $1", [hold.id]);
    expect(during.rows[0].status).toBe("PENDING");
    // The rest of the wallet keeps answering.
    expect((await call(c, c.getWallet, { ownerId, walletId })).wallet!.balance).toBe(100n);
    await db.query("ROLLBACK");

    await waitUntil("expired after the lock is gone", async () => {
      const h = (await call(c, c.getHold, { ownerId, holdId: hold.id })).hold!;
      return h.status === HoldStatus.HOLD_STATUS_EXPIRED;
    });
    const wallet = (await call(c, c.getWallet, { ownerId, walletId })).wallet!;
    expect([wallet.balance, wallet.heldBalance, wallet.availableBalance]).toEqual([100n, 0n, 100n]);
  });

  it("expiry - HOLD_EXPIRY_INTERVAL_MS=0: no sweeping, a due hold stays PENDING until a capture or void finds it", async () => {
    const off = await startTestWallet({ HOLD_EXPIRY_INTERVAL_MS: "0" });
    try {
      const c = off.client;
      const { ownerId, hold } = await holdAllOf(c, 50n);
      await new Promise((r) => setTimeout(r, 1800));
      expect((await call(c, c.getHold, { ownerId, holdId: hold.id })).hold!.status).toBe(
        HoldStatus.HOLD_STATUS_PENDING,
      );
      const voided = call(c, c.voidHold, { ownerId, holdId: hold.id, idempotencyKey: randomUUID() });
      await expect(voided).rejects.toMatchObject({ details: expect.stringMatching(/expired/) });
      expect((await call(c, c.getHold, { ownerId, holdId: hold.id })).hold!.status).toBe(
        HoldStatus.HOLD_STATUS_EXPIRED,
      );
    } finally {
      await off.close();
    }
  });
});
