import { mintToken } from "@wallet/auth";
import { createLogger } from "@wallet/runtime";
import { loadWalletConfig, startWallet, type WalletApp } from "@wallet/wallet";
import { inject } from "vitest";
import { type CallOptions, type Exchange, httpCall } from "../../../scripts/lib/http.js";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { createDatabase } from "../../../test/support/postgres.js";
import { startRedis, type TestRedis } from "../../../test/support/redis.js";
import * as shared from "../../../test/support/wallets.js";
import { type GatewayConfig, loadGatewayConfig } from "../src/config.js";
import { type RunningGateway, startGateway } from "../src/index.js";

export const JWT_SECRET = "test-secret-that-is-at-least-32-characters-long";
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "silent";

export { newKey } from "../../../test/support/wallets.js";
export type { CallOptions, Exchange };

/** A gateway under test, as seen by an HTTP client. */
export interface TestGateway {
  url: string;
  config: GatewayConfig;
  call(method: string, path: string, opts?: CallOptions): Promise<Exchange>;
  stop(): Promise<void>;
}

/** Real Redis, NATS, PostgreSQL and wallet, with a gateway in front; `stop()` removes all of it. */
export interface GatewayStack {
  gateway: TestGateway;
  redis: TestRedis;
  nats: TestNats;
  wallet: WalletApp;
  walletTarget: string;
  /** The wallet's PostgreSQL database. */
  dbUrl: string;
  /** Starts one more gateway on the same Redis, NATS and wallet (stopped with the stack). */
  startGateway(env?: Record<string, string>): Promise<TestGateway>;
  /**
   * A token both the gateway and the wallet accept. It carries the credit scope
   * (`wallet:credit`) unless `scope` says otherwise (`""`: a plain user token).
   */
  token(sub: string, opts?: { email?: string; ttlSeconds?: number; scope?: string }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * `env` goes to the gateway(s), `walletEnv` to the wallet. Both run in DEV_MODE
 * (plaintext gRPC, brokers without credentials) with the same JWT_SECRET.
 */
export async function startStack(
  env: Record<string, string> = {},
  walletEnv: Record<string, string> = {},
): Promise<GatewayStack> {
  const [redis, nats, db] = await Promise.all([
    startRedis(),
    startNats(),
    createDatabase(inject("pgClusterUrl")),
  ]);
  const walletConfig = loadWalletConfig({
    WALLET_DB_URL: db.url,
    WALLET_GRPC_HOST: "127.0.0.1",
    WALLET_GRPC_PORT: "0",
    WALLET_ADMIN_HOST: "127.0.0.1",
    WALLET_ADMIN_PORT: "0",
    NATS_URL: nats.url,
    LOG_LEVEL,
    SHUTDOWN_GRACE_MS: "5000",
    DEV_MODE: "true",
    JWT_SECRET,
    ...walletEnv,
  });
  const wallet = await startWallet(walletConfig, createLogger("wallet", walletConfig.LOG_LEVEL));
  const walletTarget = `127.0.0.1:${wallet.grpcPort}`;
  const gateways: TestGateway[] = [];
  const launch = async (extra: Record<string, string> = {}) => {
    const gw = await startTestGateway({
      REDIS_URL: redis.url,
      NATS_URL: nats.url,
      WALLET_GRPC_URL: walletTarget,
      ...env,
      ...extra,
    });
    gateways.push(gw);
    return gw;
  };
  const gateway = await launch();
  return {
    gateway,
    redis,
    nats,
    wallet,
    walletTarget,
    dbUrl: db.url,
    startGateway: launch,
    token: (sub, opts = {}) =>
      mintToken(gateway.config, { sub, scope: gateway.config.CREDIT_SCOPE, ...opts }),
    stop: async () => {
      await Promise.all(gateways.map((g) => g.stop()));
      await wallet.stop();
      await Promise.all([redis.stop(), nats.destroy(), db.drop()]);
    },
  };
}

/** Starts a gateway on 127.0.0.1 with a random port; `env` overrides the test defaults. */
export async function startTestGateway(env: Record<string, string>): Promise<TestGateway> {
  const config = loadGatewayConfig({
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_PORT: "0",
    DEV_MODE: "true",
    JWT_SECRET,
    LOG_LEVEL,
    SHUTDOWN_GRACE_MS: "5000",
    ...env,
  });
  const running: RunningGateway = await startGateway(config, createLogger("gateway", config.LOG_LEVEL));
  const url = `http://127.0.0.1:${running.port}`;
  let stopped = false;
  return {
    url,
    config,
    call: (method, path, opts) => httpCall(url, method, path, opts),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await running.stop();
    },
  };
}

/** Creates a wallet for the token's subject and credits it with `balance` (if > 0); returns its id. */
export function fundedWallet(gw: TestGateway, token: string, currency: string, balance = 0): Promise<string> {
  return shared.fundedWallet(gw.call, token, currency, balance);
}

/** A stack with Alice's token and a USD wallet of hers credited with `balance`. */
export async function startStackForAlice(
  balance: number,
  env: Record<string, string> = {},
  walletEnv: Record<string, string> = {},
): Promise<{ stack: GatewayStack; alice: string; walletId: string }> {
  const stack = await startStack(env, walletEnv);
  try {
    const alice = await stack.token("alice");
    const walletId = await fundedWallet(stack.gateway, alice, "USD", balance);
    return { stack, alice, walletId };
  } catch (err) {
    // The caller never gets the stack to stop.
    await stack.stop();
    throw err;
  }
}

/** The wallet's current balance as the gateway reports it. */
export async function balanceOf(gw: TestGateway, token: string, walletId: string): Promise<number> {
  return (await shared.walletOf(gw.call, token, walletId)).balance;
}
