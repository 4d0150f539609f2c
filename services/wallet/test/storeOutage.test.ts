import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgresCluster, type TestPostgresCluster } from "../../../test/support/postgres.js";
import { call, failure, type RunningWallet, startTestWallet } from "./harness.js";

const healthProto = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String }));
// biome-ignore lint/suspicious/noExplicitAny: shape comes from the loaded health.proto
const HealthClient = (healthProto as any).grpc.health.v1.Health as typeof grpc.Client;

/** grpc.health.v1.Health/Check with an independent, proto-loaded client. */
function healthCheck(port: number, service = ""): Promise<string> {
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & {
    check(req: { service: string }, cb: (err: Error | null, res: { status: string }) => void): void;
  };
  return new Promise((resolve, reject) =>
    client.check({ service }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    }),
  );
}

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
