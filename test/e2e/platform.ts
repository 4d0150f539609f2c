import { mintToken } from "@wallet/gateway";
import { inject } from "vitest";
import { type CallOptions, type Exchange, httpCall } from "../../scripts/lib/http.js";
import { freePort } from "../../scripts/lib/ports.js";
import {
  type ServiceName,
  type ServiceProcess,
  spawnService,
  waitUntilReady,
} from "../../scripts/lib/serviceProcess.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../scripts/lib/webhookReceiver.js";
import { makeTestCerts } from "../support/certs.js";
import { startNats, type TestNats } from "../support/nats.js";
import { createDatabase } from "../support/postgres.js";
import { startRedis, type TestRedis } from "../support/redis.js";

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
  /** A token gateway and wallet accept, carrying the credit scope unless `scope` says otherwise ("" for none). */
  token(sub: string, email?: string, scope?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface PlatformOptions {
  /**
   * Production settings instead of DEV_MODE: Redis with a password, NATS with a
   * user, gRPC over mTLS with certificates made by openssl, credentials only
   * from the environment.
   */
  secure?: boolean;
}

export async function startPlatform(
  extraEnv: PlatformEnv = {},
  opts: PlatformOptions = {},
): Promise<Platform> {
  const secrets = opts.secure
    ? { redis: "redis-e2e-password", nats: { user: "platform", pass: "nats-e2e-password" } }
    : undefined;
  const certs = opts.secure ? makeTestCerts() : undefined;
  const [redis, nats, db, webhook] = await Promise.all([
    startRedis({ password: secrets?.redis }),
    startNats(secrets?.nats),
    createDatabase(inject("pgClusterUrl")),
    startWebhookReceiver(),
  ]);
  const [grpcPort, walletAdmin, notifierAdmin, gatewayPort] = await Promise.all(
    Array.from({ length: 4 }, () => freePort()),
  );
  // DEV_MODE: plaintext gRPC and brokers without credentials; both gateway and wallet verify tokens with JWT_SECRET.
  const common: Record<string, string> = {
    NATS_URL: nats.url,
    LOG_LEVEL: "info",
    SHUTDOWN_GRACE_MS: "10000",
    ...(secrets ? { NATS_USER: secrets.nats.user, NATS_PASSWORD: secrets.nats.pass } : { DEV_MODE: "true" }),
  };
  const walletTls: Record<string, string> = certs
    ? {
        WALLET_TLS_CERT_FILE: certs.serverCert,
        WALLET_TLS_KEY_FILE: certs.serverKey,
        WALLET_TLS_CLIENT_CA_FILE: certs.caCert,
      }
    : {};
  const gatewayTls: Record<string, string> = certs
    ? {
        WALLET_GRPC_CA_FILE: certs.caCert,
        WALLET_GRPC_CERT_FILE: certs.clientCert,
        WALLET_GRPC_KEY_FILE: certs.clientKey,
      }
    : {};
  const env: Record<ServiceName, Record<string, string>> = {
    wallet: {
      ...common,
      WALLET_DB_URL: db.url,
      WALLET_GRPC_HOST: "127.0.0.1",
      WALLET_GRPC_PORT: String(grpcPort),
      WALLET_ADMIN_HOST: "127.0.0.1",
      WALLET_ADMIN_PORT: String(walletAdmin),
      JWT_SECRET,
      ...walletTls,
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
      ...gatewayTls,
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
    certs?.remove();
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
    token: (sub, email, scope = "wallet:credit") => mintToken({ JWT_SECRET }, { sub, email, scope }),
    stop,
  };
}
