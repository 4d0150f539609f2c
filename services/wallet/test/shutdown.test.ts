import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { call, failure, type RunningWallet, startTestWallet } from "./harness.js";
import { healthWatch } from "./healthClient.js";

describe("wallet - graceful shutdown", () => {
  let w: RunningWallet | undefined;
  afterAll(async () => {
    await w?.close().catch(() => {});
  });

  // The grace period is far longer than the test's timeout: the test fails if stop waits for it.
  it("shutdown - calls in flight finish, health watchers see NOT_SERVING, open Watch streams do not hold it up", async () => {
    w = await startTestWallet({ SHUTDOWN_GRACE_MS: "120000" });
    const c = w.client;
    const ownerId = `user-${randomUUID()}`;
    const wallet = (await call(c, c.createWallet, { ownerId, currency: "USD", ownerEmail: "" })).wallet!;
    const watch = healthWatch(w.app.grpcPort);
    await expect.poll(() => watch.statuses).toEqual(["SERVING"]);

    const credit = () =>
      call(c, c.credit, {
        ownerId,
        walletId: wallet.id,
        amount: 5n,
        idempotencyKey: randomUUID(),
        metadata: {},
      });
    const credits = Array.from({ length: 200 }, credit);
    const settled = Promise.allSettled(credits);
    // Stop once the first credit is through, with the rest in flight or queued.
    await Promise.any(credits);
    await w.app.stop();
    const outcomes = await settled;
    await watch.ended;

    const failures = await Promise.all(
      outcomes.filter((o) => o.status === "rejected").map((o) => failure(Promise.reject(o.reason))),
    );
    // Refused calls are UNAVAILABLE (safe to retry); none is cut off half-way, and each
    // reported success, and only those, is in the store.
    expect(failures.map((f) => f.code)).toEqual(Array(failures.length).fill(status.UNAVAILABLE));
    const succeeded = outcomes.filter((o) => o.status === "fulfilled").length;
    expect(succeeded).toBeGreaterThan(0);
    expect(watch.statuses).toEqual(["SERVING", "NOT_SERVING"]);

    const store = new PostgresStore(w.dbUrl, 2);
    try {
      expect((await store.getWallet(ownerId, wallet.id))?.balance).toBe(BigInt(succeeded * 5));
    } finally {
      await store.close();
    }
  });
});
