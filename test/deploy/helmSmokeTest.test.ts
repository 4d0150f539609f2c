import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHealth, type WalletHealth } from "../../services/wallet/src/grpc/health.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const script = join(root, "deploy/helm/wallet-platform/files/smoke-test.mjs");
const TOKEN = "smoke-test-token";

let grpcServer: grpc.Server;
let health: WalletHealth;
let grpcPort: number;
let http: Server;
let httpPort: number;
let ready = true;

beforeAll(async () => {
  // The wallet's own grpc.health.v1 implementation, on a real gRPC server.
  grpcServer = new grpc.Server();
  health = createHealth(grpcServer);
  grpcPort = await new Promise<number>((done, fail) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? fail(error) : done(port),
    ),
  );
  // The two gateway routes the smoke test calls, answering as the gateway does.
  http = createServer((request, response) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/readyz") return json(ready ? 200 : 503, { status: ready ? "ok" : "unavailable" });
    if (request.url === "/api/wallets") {
      if (request.headers.authorization !== `Bearer ${TOKEN}`)
        return json(401, { error: { code: "UNAUTHENTICATED" } });
      return json(200, { wallets: [] });
    }
    json(404, {});
  });
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  httpPort = (http.address() as AddressInfo).port;
});

afterAll(async () => {
  grpcServer.forceShutdown();
  await new Promise((done) => http.close(done));
});

/** Runs the script as `helm test` runs it, with short retries; resolves with its exit code and output. */
async function smokeTest(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        WALLET_GRPC_URL: `127.0.0.1:${grpcPort}`,
        GATEWAY_URL: `http://127.0.0.1:${httpPort}/`,
        SMOKE_TEST_TIMEOUT_MS: "1500",
        SMOKE_TEST_RETRY_MS: "200",
        ...env,
      },
      timeout: 20_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

describe("helm test smoke test", () => {
  it("smoke test - passes when the wallet serves, the gateway is ready and the token is accepted", async () => {
    health.setServing();
    ready = true;
    const result = await smokeTest({ BEARER_TOKEN: TOKEN });
    expect(result.output).toContain(`ok   wallet 127.0.0.1:${grpcPort} grpc.health.v1 SERVING`);
    expect(result.output).toContain(`ok   gateway http://127.0.0.1:${httpPort}/readyz`);
    expect(result.output).toContain("/api/wallets with a bearer token");
    expect(result.code).toBe(0);
  });

  it("smoke test - without a token it skips the authenticated request and says so", async () => {
    health.setServing();
    ready = true;
    const result = await smokeTest({});
    expect(result.output).toContain("skip authenticated request");
    expect(result.code).toBe(0);
  });

  it("smoke test - fails when the wallet reports NOT_SERVING", async () => {
    health.setNotServing();
    const result = await smokeTest({ BEARER_TOKEN: TOKEN });
    expect(result.output).toContain("FAIL wallet");
    expect(result.output).toContain("NOT_SERVING");
    expect(result.code).toBe(1);
  });

  it("smoke test - fails when the gateway is not ready or refuses the token", async () => {
    health.setServing();
    ready = false;
    const notReady = await smokeTest({ BEARER_TOKEN: TOKEN });
    expect(notReady.output).toContain("/readyz: 503");
    expect(notReady.code).toBe(1);
    ready = true;
    const refused = await smokeTest({ BEARER_TOKEN: "wrong" });
    expect(refused.output).toContain("/api/wallets: 401");
    expect(refused.code).toBe(1);
  });

  it("smoke test - fails when nothing answers on the wallet's address", async () => {
    const result = await smokeTest({ WALLET_GRPC_URL: "127.0.0.1:1" });
    expect(result.output).toMatch(/FAIL wallet 127\.0\.0\.1:1 .*wallet health: 14 UNAVAILABLE/);
    expect(result.code).toBe(1);
  });
});
