import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, waitForPort } from "../../../scripts/lib/ports.js";
import { balanceOf, fundedWallet, type GatewayStack, JWT_SECRET, newKey, startStack } from "./stack.js";

// Flow 9 of docs/flows.md (graceful shutdown).
describe("gateway shutdown - Flow 9", () => {
  let stack: GatewayStack;
  let alice: string;

  beforeAll(async () => {
    // A held row lock keeps a credit in flight across the shutdown: no lock timeout may end it first.
    stack = await startStack({}, { WALLET_DB_LOCK_TIMEOUT_MS: "30000" });
    alice = await stack.token("alice");
  });
  afterAll(() => stack?.stop());

  it("not ready and 503 for new requests at once; the in-flight credit still completes", async () => {
    const gw = await stack.startGateway();
    const walletId = await fundedWallet(gw, alice, "USD", 100);
    // Hold the wallet row so the credit below stays in flight inside the wallet.
    const lock = new pg.Client({ connectionString: stack.dbUrl });
    await lock.connect();
    try {
      await lock.query("BEGIN");
      await lock.query("SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE", [walletId]);
      const inFlight = gw.call("POST", "/api/wallets/credit", {
        token: alice,
        body: { walletId, amount: 25 },
        headers: { "idempotency-key": newKey("in-flight") },
      });
      await waitFor(async () => {
        // Inside a transaction pg_stat_activity is a snapshot taken at its first read: refresh it.
        await lock.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await lock.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
        );
        return rows[0].n > 0;
      });

      const stopping = gw.stop();
      const ready = await gw.call("GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe("draining");
      const late = await gw.call("GET", "/api/wallets", { token: alice });
      expect(late.status).toBe(503);
      expect(late.body.error.code).toBe("UNAVAILABLE");
      expect((await gw.call("GET", "/healthz")).status).toBe(200);

      await lock.query("COMMIT");
      const finished = await inFlight;
      expect(finished.status).toBe(200);
      expect(finished.body.data.balance).toBe(125);
      await stopping;
      await expect(gw.call("GET", "/healthz")).rejects.toThrow();
    } finally {
      await lock.end();
    }
    expect(await balanceOf(stack.gateway, alice, walletId)).toBe(125);
  });

  it("SIGTERM - the process drains, closes its connections and exits 0", async () => {
    const port = await freePort();
    const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", main], {
      env: {
        ...process.env,
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_PORT: String(port),
        WALLET_GRPC_URL: stack.walletTarget,
        REDIS_URL: stack.redis.url,
        NATS_URL: stack.nats.url,
        JWT_SECRET,
        DEV_MODE: "true",
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let logs = "";
    child.stdout.on("data", (d) => {
      logs += d;
    });
    child.stderr.on("data", (d) => {
      logs += d;
    });
    try {
      // A process start from the TypeScript sources: slow on a loaded machine.
      await waitForPort(port, 60_000);
      const res = await fetch(`http://127.0.0.1:${port}/api/wallets`, {
        headers: { authorization: `Bearer ${alice}` },
      });
      expect(res.status).toBe(200);
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code, logs).toBe(0);
      expect(logs).toContain('"msg":"shutdown complete"');
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
