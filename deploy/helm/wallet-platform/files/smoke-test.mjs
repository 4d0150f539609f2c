// `helm test` for the wallet platform. Runs in the gateway's image (its node_modules has
// @grpc/grpc-js) and checks, over the addresses and TLS settings the gateway itself uses:
//   1. the wallet's grpc.health.v1 Check for "" answers SERVING,
//   2. the gateway's /readyz answers 200,
//   3. with BEARER_TOKEN set, GET /api/wallets answers 200 with a JSON body (gateway → wallet → store).
// Each check is retried for up to SMOKE_TEST_TIMEOUT_MS (default 60000); the exit code is 0 when all pass.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

const env = process.env;
const timeoutMs = Number(env.SMOKE_TEST_TIMEOUT_MS ?? 60_000);
const retryMs = Number(env.SMOKE_TEST_RETRY_MS ?? 2_000);

function required(name) {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function walletCredentials() {
  if (!env.WALLET_GRPC_CA_FILE) return grpc.credentials.createInsecure();
  const read = (name) => (env[name] ? readFileSync(env[name]) : undefined);
  return grpc.credentials.createSsl(
    read("WALLET_GRPC_CA_FILE"),
    read("WALLET_GRPC_KEY_FILE"),
    read("WALLET_GRPC_CERT_FILE"),
  );
}

const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** grpc.health.v1.Health/Check for service "": the request encodes to no bytes, the answer is field 1 (status). */
function walletHealth(target) {
  const client = new grpc.Client(target, walletCredentials());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      () => Buffer.alloc(0),
      (bytes) => bytes,
      {},
      { deadline: Date.now() + 5_000 },
      (error, response) => {
        client.close();
        if (error) return reject(new Error(`wallet health: ${error.message}`));
        const status = response.length >= 2 && response[0] === 0x08 ? response[1] : 0;
        if (status !== 1) return reject(new Error(`wallet health: ${SERVING_STATUS[status] ?? status}`));
        resolve("SERVING");
      },
    );
  });
}

async function httpCheck(url, headers = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 200)}`);
  return body;
}

async function eventually(name, check) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      console.log(`ok   ${name}`);
      return result;
    } catch (error) {
      if (Date.now() + retryMs > deadline) {
        console.error(`FAIL ${name}: ${error.message}`);
        throw error;
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
}

async function main() {
  const target = required("WALLET_GRPC_URL");
  const gateway = required("GATEWAY_URL").replace(/\/+$/, "");
  await eventually(`wallet ${target} grpc.health.v1 SERVING`, () => walletHealth(target));
  await eventually(`gateway ${gateway}/readyz`, () => httpCheck(`${gateway}/readyz`));
  if (env.BEARER_TOKEN) {
    await eventually(`gateway ${gateway}/api/wallets with a bearer token`, async () => {
      const body = await httpCheck(`${gateway}/api/wallets`, { authorization: `Bearer ${env.BEARER_TOKEN}` });
      JSON.parse(body);
    });
  } else {
    console.log("skip authenticated request: no bearer token given (tests.bearerToken.secretName)");
  }
}

main().then(
  () => process.exit(0),
  () => process.exit(1),
);
