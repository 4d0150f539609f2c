import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { createTokenVerifier } from "@wallet/auth";
import { descriptorSetBase64, WalletServiceService } from "@wallet/contracts";
import {
  createMetricsRegistry,
  inFlightBudgetMs,
  logDevMode,
  natsAuthOptions,
  startAdminServer,
} from "@wallet/runtime";
import type { Logger } from "pino";
import { type WalletConfig, walletDevDefaults } from "./config.js";
import { createHealth } from "./grpc/health.js";
import { InFlightCalls } from "./grpc/inFlightCalls.js";
import { tolerateMalformedRequests } from "./grpc/malformedRequests.js";
import { addReflectionService } from "./grpc/reflection.js";
import { RpcMetrics } from "./grpc/rpcMetrics.js";
import { walletHandlers } from "./grpc/walletHandlers.js";
import { HoldExpiry } from "./holdExpiry.js";
import { Ledger } from "./ledger.js";
import { NatsLink } from "./outbox/natsLink.js";
import { OutboxMetrics } from "./outbox/outboxMetrics.js";
import { OutboxRelay } from "./outbox/outboxRelay.js";
import { openStore } from "./store/openStore.js";
import type { WalletStore } from "./store/port.js";

export interface WalletApp {
  grpcPort: number;
  adminPort: number;
  /** Refuses new calls, finishes in-flight ones (up to the grace period), then drains NATS and closes the store. */
  stop(): Promise<void>;
}

const STORE_CHECK_MS = 2000;
const RESPONSE_FLUSH_MS = 500;

/** Wires and starts the wallet: store, event relay, gRPC server (+health, reflection) and admin HTTP. */
export async function startWallet(config: WalletConfig, logger: Logger): Promise<WalletApp> {
  logDevMode(logger, config, walletDevDefaults(config));
  const verifier = createTokenVerifier(config, {
    onJwksError: (err) => logger.warn({ err }, "JWKS fetch failed, keeping the last key set"),
  });
  const store = await openStore(config.WALLET_DB_URL, {
    poolSize: config.WALLET_DB_POOL_SIZE,
    statementTimeoutMs: config.WALLET_DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.WALLET_DB_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    batchMax: config.WALLET_DB_BATCH_MAX,
  });
  await migrateWithRetry(store, logger);

  const registry = createMetricsRegistry("wallet");
  const link = new NatsLink(config.NATS_URL, config.NATS_STREAM_REPLICAS, logger, natsAuthOptions(config));
  const relay = new OutboxRelay(store, link, logger, new OutboxMetrics(registry, store, link), {
    sweepIntervalMs: config.OUTBOX_SWEEP_INTERVAL_MS,
    batchSize: config.OUTBOX_BATCH_SIZE,
    minAgeMs: 1000,
    leaseMs: 30_000,
    cursorLeaseMs: 10_000,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
    pruneIntervalMs: config.OUTBOX_PRUNE_INTERVAL_MS,
  });
  const ledger = new Ledger(store, relay, {
    defaultTtlSeconds: config.HOLD_DEFAULT_TTL_SECONDS,
    maxTtlSeconds: config.HOLD_MAX_TTL_SECONDS,
  });
  const holdExpiry = new HoldExpiry(ledger, logger, registry, config.HOLD_EXPIRY_INTERVAL_MS);

  const inFlight = new InFlightCalls();
  const server = new grpc.Server({ "grpc.max_receive_message_length": 1024 * 1024 });
  server.addService(
    tolerateMalformedRequests(WalletServiceService),
    walletHandlers(ledger, {
      logger,
      metrics: new RpcMetrics(registry, inFlight),
      inFlight,
      auth: { verifier, creditScope: config.CREDIT_SCOPE },
    }),
  );
  const health = createHealth(server);
  addReflectionService(server, descriptorSetBase64);
  const grpcPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${config.WALLET_GRPC_HOST}:${config.WALLET_GRPC_PORT}`,
      serverCredentials(config),
      (err, port) => (err ? reject(err) : resolve(port)),
    ),
  );

  let stopping = false;
  let stopped: Promise<void> | undefined;
  let storeUp = true;
  health.setServing();
  const checkStore = async () => {
    storeUp = await store.ping().then(
      () => true,
      () => false,
    );
    if (stopping) return;
    if (storeUp) health.setServing();
    else health.setNotServing();
  };
  const storeTimer = setInterval(() => void checkStore(), STORE_CHECK_MS);
  storeTimer.unref();

  const admin = await startAdminServer({
    host: config.WALLET_ADMIN_HOST,
    port: config.WALLET_ADMIN_PORT,
    registry,
    readiness: async () => ({
      ready: !stopping && storeUp,
      detail: {
        store: storeUp ? "up" : "down",
        nats: link.isConnected() ? "connected" : "disconnected",
        outboxBacklog: await store.countUnpublished().catch(() => null),
        shuttingDown: stopping,
      },
    }),
  });
  relay.start();
  holdExpiry.start();
  logger.info(
    {
      grpcPort,
      adminPort: admin.port,
      tls: config.WALLET_TLS_CLIENT_CA_FILE ? "mtls" : config.WALLET_TLS_CERT_FILE ? "tls" : "plaintext",
    },
    "wallet started",
  );

  return {
    grpcPort,
    adminPort: admin.port,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        health.setNotServing();
        clearInterval(storeTimer);
        await shutdownGrpc(server, inFlight, inFlightBudgetMs(config.SHUTDOWN_GRACE_MS));
        // Before the relay: the events of a last expiry batch still get handed to it.
        await holdExpiry.stop();
        await relay.stop();
        await link.close();
        await store.close();
        await admin.close();
      })();
      return stopped;
    },
  };
}

/**
 * TLS when a certificate and key are configured, requiring client certificates
 * signed by WALLET_TLS_CLIENT_CA_FILE when that is set (mTLS); plaintext otherwise
 * (DEV_MODE only, enforced by loadWalletConfig).
 */
function serverCredentials(config: WalletConfig): grpc.ServerCredentials {
  if (!config.WALLET_TLS_CERT_FILE || !config.WALLET_TLS_KEY_FILE)
    return grpc.ServerCredentials.createInsecure();
  const clientCa = config.WALLET_TLS_CLIENT_CA_FILE ? readFileSync(config.WALLET_TLS_CLIENT_CA_FILE) : null;
  return grpc.ServerCredentials.createSsl(
    clientCa,
    [
      {
        cert_chain: readFileSync(config.WALLET_TLS_CERT_FILE),
        private_key: readFileSync(config.WALLET_TLS_KEY_FILE),
      },
    ],
    clientCa !== null,
  );
}

/**
 * Stops accepting calls and waits until every session has closed, or, since
 * health Watch streams never end by themselves, until the unary calls in flight
 * are done and their responses had a moment to leave; closes what is left after
 * `graceMs` (the in-flight share of the grace period) at the latest.
 */
async function shutdownGrpc(server: grpc.Server, inFlight: InFlightCalls, graceMs: number): Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number) => new Promise<void>((resolve) => timers.push(setTimeout(resolve, ms)));
  await Promise.race([
    new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    inFlight.idle().then(() => after(RESPONSE_FLUSH_MS)),
    after(graceMs),
  ]);
  for (const t of timers) clearTimeout(t);
  server.forceShutdown();
}

async function migrateWithRetry(store: WalletStore, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.migrate();
    } catch (err) {
      if (attempt >= 10) throw new Error(`database unreachable: ${(err as Error).message}`, { cause: err });
      logger.warn({ err, attempt }, "database not reachable yet, retrying");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
