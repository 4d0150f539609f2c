import { credentials, Metadata, status } from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceName, spawnService } from "../../scripts/lib/serviceProcess.js";
import { waitUntil } from "../support/wait.js";
import { fundedWallet, moveMoney } from "../support/wallets.js";
import { type Platform, startPlatform } from "./platform.js";

// Production-safe defaults: without DEV_MODE a service refuses to start until its keys are
// configured, and with them the whole platform runs on credentials only.
describe("production mode", () => {
  it.each<[ServiceName, Record<string, string>, RegExp]>([
    ["wallet", {}, /JWT_SECRET .*required unless DEV_MODE=true/],
    [
      "wallet",
      { JWT_SECRET: "s".repeat(32), NATS_TOKEN: "t" },
      /WALLET_TLS_CERT_FILE and WALLET_TLS_KEY_FILE are required/,
    ],
    ["gateway", {}, /JWT_SECRET .*required unless DEV_MODE=true/],
    ["gateway", { JWT_SECRET: "s".repeat(32) }, /NATS_USER and NATS_PASSWORD \(or NATS_TOKEN\) are required/],
    ["notifier", {}, /NATS_USER and NATS_PASSWORD \(or NATS_TOKEN\) are required/],
  ])(
    "%s without DEV_MODE and keys (%o) refuses to start naming the variable",
    async (name, env, message) => {
      const service = spawnService(name, { ...env, NATS_URL: "nats://127.0.0.1:1", LOG_LEVEL: "info" });
      const exit = await service.exited;
      expect(exit.code).toBe(1);
      expect(service.stderr.join("\n")).toMatch(message);
    },
    90_000,
  ); // a process start from sources, slow on a loaded machine

  describe("the platform with credentials only (mTLS, NATS user, Redis password, no DEV_MODE)", () => {
    let p: Platform;
    beforeAll(async () => {
      p = await startPlatform({}, { secure: true });
    });
    afterAll(() => p?.stop());

    it("serves money flows end to end, and refuses a plain user's credit", async () => {
      for (const name of ["wallet", "gateway", "notifier"] as const) {
        expect(
          p.service(name).logs.some((l) => l.devMode === true),
          name,
        ).toBe(false);
      }
      const started = p.service("wallet").logs.find((l) => l.msg === "wallet started");
      expect(started?.tls).toBe("mtls");

      const token = await p.token("prod-alice", "alice@example.com");
      const walletId = await fundedWallet(p.call, token, "USD", 0);
      const credit = await moveMoney(p.call, "credit", token, { walletId, amount: 100 });
      expect(credit.status).toBe(200);
      const transactionId = credit.body.data.transactionId;
      // The event went through NATS (with credentials) to the notifier.
      await waitUntil("the webhook for the credit", () =>
        p.webhook.delivered().some((d) => d.json?.data?.transactionId === transactionId),
      );

      const plain = await p.token("prod-alice", undefined, "");
      const refused = await moveMoney(p.call, "credit", plain, { walletId, amount: 100 });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("FORBIDDEN");
    });

    it("the wallet's gRPC port refuses plaintext and certificate-less clients", async () => {
      const md = new Metadata();
      md.set("authorization", `Bearer ${await p.token("prod-alice")}`);
      const client = new WalletServiceClient(p.walletTarget, credentials.createInsecure());
      try {
        const err = await new Promise<{ code: number }>((resolve) =>
          client.listWallets({ ownerId: "" }, md, { deadline: Date.now() + 5000 }, (e) =>
            resolve(e ?? { code: 0 }),
          ),
        );
        expect(err.code).toBe(status.UNAVAILABLE);
      } finally {
        client.close();
      }
    });
  });
});
