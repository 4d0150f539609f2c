import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgresCluster, type TestPostgresCluster } from "../../../test/support/postgres.js";
import { call, failure, type RunningWallet, startTestWallet } from "./harness.js";
import { healthCheck } from "./healthClient.js";

describe("wallet - store outage", () => {
  let pg: TestPostgresCluster;
  let w: RunningWallet;
  beforeAll(async () => {
    pg = await startPostgresCluster();
    w = await startTestWallet({}, pg.url.replace(/\/postgres$/, "/wallet"));
  });
  afterAll(async () => {
    await w?.close();
    await pg?.stop();
  });

  it("health - SERVING while the store is reachable; UNAVAILABLE and NOT_SERVING when it is gone", async () => {
    const c = w.client;
    const ownerId = `user-${randomUUID()}`;
    const wallet = (await call(c, c.createWallet, { ownerId, currency: "USD", ownerEmail: "" })).wallet!;
    expect(await healthCheck(w.app.grpcPort)).toBe("SERVING");
    expect(await healthCheck(w.app.grpcPort, "wallet.v1.WalletService")).toBe("SERVING");
    const ready = await fetch(`http://127.0.0.1:${w.app.adminPort}/readyz`);
    expect(ready.status).toBe(200);

    await pg.stop();
    const outage = await failure(
      call(c, c.credit, {
        ownerId,
        walletId: wallet.id,
        amount: 1n,
        idempotencyKey: randomUUID(),
        metadata: {},
      }),
    );
    expect(outage).toMatchObject({ code: status.UNAVAILABLE, reason: "UNAVAILABLE" });
    // The store probe runs every 2 s.
    await expect
      .poll(() => healthCheck(w.app.grpcPort), { timeout: 6000, interval: 200 })
      .toBe("NOT_SERVING");
    const notReady = await fetch(`http://127.0.0.1:${w.app.adminPort}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ store: "down" });
  });
});
