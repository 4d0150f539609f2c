import { mintToken } from "@wallet/gateway";
import { inject } from "vitest";
import { startNats, type TestNats } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { createDatabase } from "../support/postgres.js";
import { startRedis, type TestRedis } from "../support/redis.js";
import { type CallOptions, type Exchange, httpCall } from "./support/http.js";
import {
  type ServiceName,
  type ServiceProcess,
  spawnService,
  waitUntilReady,
} from "./support/serviceProcess.js";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhookReceiver.js";

export const JWT_SECRET = "e2e-secret-that-is-at-least-32-characters-long";

/** Extra environment per service, over the platform's defaults. */
export type PlatformEnv = Partial<Record<ServiceName, Record<string, string>>>;

/**
 * The whole platform as separate processes: wallet, notifier and gateway run from
 * source against a fresh PostgreSQL database, Redis and NATS of their own, with a
 * webhook receiver standing in for the customer. Ports are fixed at start, so a
 * service started again after a crash or shutdown is found where it was.
 */
export interface Platform {
  gatewayUrl: string;
  walletTarget: string;
  adminUrl: Record<ServiceName, string>;
  dbUrl: string;
  redis: TestRedis;
  nats: TestNats;
  webhook: WebhookReceiver;
  /** The current process of a service. */
  service(name: ServiceName): ServiceProcess;
  /** Every process started for a service so far, oldest first. */
  processes(name: ServiceName): ServiceProcess[];
  /** Starts a service again (after it stopped) and waits until it is ready. */
  start(name: ServiceName): Promise<ServiceProcess>;
  call(method: string, path: string, opts?: CallOptions): Promise<Exchange>;
  token(sub: string, email?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPlatform(extraEnv: PlatformEnv = {}): Promise<Platform> {
  const [redis, nats, db, webhook] = await Promise.all([
    startRedis(),
    startNats(),
    createDatabase(inject("pgClusterUrl")),
    startWebhookReceiver(),
  ]);
  const [grpcPort, walletAdmin, notifierAdmin, gatewayPort] = await Promise.all(
    Array.from({ length: 4 }, () => freePort()),
  );
  const common = { NATS_URL: nats.url, LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: "10000" };
  const env: Record<ServiceName, Record<string, string>> = {
    wallet: {
      ...common,
      WALLET_DB_URL: db.url,
      WALLET_GRPC_HOST: "127.0.0.1",
      WALLET_GRPC_PORT: String(grpcPort),
      WALLET_ADMIN_HOST: "127.0.0.1",
      WALLET_ADMIN_PORT: String(walletAdmin),
      ...extraEnv.wallet,
    },
    notifier: {
      ...common,
      NOTIFIER_ADMIN_HOST: "127.0.0.1",
      NOTIFIER_ADMIN_PORT: String(notifierAdmin),
      NOTIFIER_CHANNELS: "log,webhook",
      NOTIFIER_WEBHOOK_URL: webhook.url,
      NOTIFIER_WEBHOOK_SECRET: webhook.secret,
      NOTIFIER_BACKOFF_BASE_MS: "200",
      ...extraEnv.notifier,
    },
    gateway: {
      ...common,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(gatewayPort),
      WALLET_GRPC_URL: `127.0.0.1:${grpcPort}`,
      REDIS_URL: redis.url,
      JWT_SECRET,
      ...extraEnv.gateway,
    },
  };
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const adminUrl: Record<ServiceName, string> = {
    wallet: `http://127.0.0.1:${walletAdmin}`,
    notifier: `http://127.0.0.1:${notifierAdmin}`,
    gateway: gatewayUrl,
  };
  const started: Record<ServiceName, ServiceProcess[]> = { wallet: [], notifier: [], gateway: [] };
  const echo = process.env.E2E_ECHO_LOGS
    ? (name: ServiceName, line: string) => process.stdout.write(`${name}: ${line}\n`)
    : undefined;

  const start = async (name: ServiceName) => {
    const current = started[name].at(-1);
    if (current?.running()) throw new Error(`${name} is already running (pid ${current.pid})`);
    const service = spawnService(name, env[name], { echo });
    started[name].push(service);
    await waitUntilReady(service, `${adminUrl[name]}/readyz`);
    return service;
  };

  const stop = async () => {
    const running = Object.values(started).flatMap((list) => list.filter((s) => s.running()));
    await Promise.all(running.map((s) => s.stop("SIGTERM", 15_000)));
    await Promise.all([redis.stop(), nats.destroy(), db.drop(), webhook.close()]);
  };

  // All at once: none waits for another (the gateway's gRPC channel connects on demand,
  // wallet and notifier both create the streams idempotently).
  const starts = await Promise.allSettled([start("wallet"), start("notifier"), start("gateway")]);
  const failed = starts.find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }

  return {
    gatewayUrl,
    walletTarget: `127.0.0.1:${grpcPort}`,
    adminUrl,
    dbUrl: db.url,
    redis,
    nats,
    webhook,
    service: (name) => started[name].at(-1)!,
    processes: (name) => [...started[name]],
    start,
    call: (method, path, opts) => httpCall(gatewayUrl, method, path, opts),
    token: (sub, email) =>
      mintToken({ JWT_SECRET, JWT_ISSUER: undefined, JWT_AUDIENCE: undefined }, { sub, email }),
    stop,
  };
}

/** Polls until `check` holds, failing with `what` after the timeout. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
