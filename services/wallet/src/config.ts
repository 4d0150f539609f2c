import { type AuthConfig, authConfigShape, checkAuthConfig, jwtDevDefault } from "@wallet/auth";
import {
  type ConfigOf,
  env,
  grpcTlsChecks,
  requireSetting,
  serviceConfig,
  serviceShape,
} from "@wallet/runtime";
import type { z } from "zod";

/** Every environment variable the wallet reads; the keys are the variable names. */
export const configShape = {
  WALLET_DB_URL: env
    .url("postgres://postgres@127.0.0.1:5432/wallet", [
      "postgres:",
      "postgresql:",
      "mongodb:",
      "mongodb+srv:",
    ])
    .describe("store: `postgres://…` or `mongodb://…` (a replica set); the scheme picks the adapter"),
  WALLET_DB_POOL_SIZE: env.int(20, 1, 500).describe("database connections per process"),
  WALLET_DB_BATCH_MAX: env
    .int(256, 1, 10_000)
    .describe(
      "group commit: most credits, debits or transfers (each kind apart) sent to PostgreSQL as one statement; `1` turns it off",
    ),
  WALLET_DB_STATEMENT_TIMEOUT_MS: env
    .int(4000, 0, 600_000)
    .describe(
      "PostgreSQL `statement_timeout`; on MongoDB, the time a mutation may spend retrying its transaction; keep it below the gateway's deadline; 0 = off",
    ),
  WALLET_DB_LOCK_TIMEOUT_MS: env
    .int(2000, 0, 600_000)
    .describe("PostgreSQL `lock_timeout`: a longer wait for a row lock is UNAVAILABLE (retry); 0 = off"),
  WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: env
    .int(4000, 0, 600_000)
    .describe(
      "PostgreSQL `idle_in_transaction_session_timeout`: a stalled transaction is ended, its locks freed; 0 = off",
    ),
  WALLET_GRPC_HOST: env.string("0.0.0.0").describe("gRPC bind address"),
  WALLET_GRPC_PORT: env.int(50051, 0, 65535).describe("gRPC port"),
  WALLET_TLS_CERT_FILE: env
    .optionalString()
    .describe(
      "PEM certificate: serve gRPC over TLS (with `WALLET_TLS_KEY_FILE`); required unless `DEV_MODE=true`",
    ),
  WALLET_TLS_KEY_FILE: env.optionalString().describe("PEM key of `WALLET_TLS_CERT_FILE`"),
  WALLET_TLS_CLIENT_CA_FILE: env
    .optionalString()
    .describe("PEM CA: require client certificates it signed (mTLS)"),
  WALLET_ADMIN_HOST: env
    .string("0.0.0.0")
    .describe("admin HTTP bind address (`/healthz`, `/readyz`, `/metrics`)"),
  WALLET_ADMIN_PORT: env.int(9464, 0, 65535).describe("admin HTTP port"),
  ...serviceShape({ nats: "for events", work: "calls" }),
  NATS_STREAM_REPLICAS: env.int(1, 1, 5).describe("replicas of the streams (3 in a NATS cluster)"),
  ...authConfigShape,
  OUTBOX_SWEEP_INTERVAL_MS: env
    .int(1000, 10, 600_000)
    .describe("pace of taking over the outbox cursor and of retries (MongoDB: of sweeps)"),
  OUTBOX_BATCH_SIZE: env
    .int(500, 1, 10_000)
    .describe("events per read of the outbox (cursor tail; MongoDB: sweep batch)"),
  OUTBOX_RETENTION_HOURS: env
    .int(72, 0, 24 * 366)
    .describe("published outbox rows older than this are deleted (unpublished rows never are)"),
  OUTBOX_PRUNE_INTERVAL_MS: env
    .int(60_000, 10, 86_400_000)
    .describe("how often each replica deletes published rows past the retention, in batches"),
  HOLD_DEFAULT_TTL_SECONDS: env
    .int(604_800, 1, 31_622_400)
    .describe("life of a hold placed without `expires_in_seconds` (7 days); at most `HOLD_MAX_TTL_SECONDS`"),
  HOLD_MAX_TTL_SECONDS: env
    .int(2_592_000, 1, 31_622_400)
    .describe("longest `expires_in_seconds` a hold may ask for (30 days); longer is INVALID_ARGUMENT"),
  HOLD_EXPIRY_INTERVAL_MS: env
    .int(1000, 0, 3_600_000)
    .describe("how often each replica ends holds past their expiry (releasing their funds); 0 = never"),
} satisfies Record<string, z.ZodType>;

export type WalletConfig = ConfigOf<typeof configShape> & AuthConfig;

const serverTls = grpcTlsChecks<WalletConfig>("server", {
  cert: "WALLET_TLS_CERT_FILE",
  key: "WALLET_TLS_KEY_FILE",
  ca: "WALLET_TLS_CLIENT_CA_FILE",
});

function checkHoldPolicy(config: WalletConfig): void {
  requireSetting(
    config.HOLD_DEFAULT_TTL_SECONDS <= config.HOLD_MAX_TTL_SECONDS,
    "HOLD_DEFAULT_TTL_SECONDS must not exceed HOLD_MAX_TTL_SECONDS",
  );
}

const walletConfig = serviceConfig(configShape, {
  rules: [checkAuthConfig, serverTls.rule, checkHoldPolicy],
  devDefaults: [jwtDevDefault, serverTls.devDefault],
});

/**
 * Reads and validates the wallet's configuration; throws ConfigError naming the
 * bad variable. Outside DEV_MODE it also requires real keys: a JWT key source,
 * NATS credentials and a TLS certificate for the gRPC port.
 */
export const loadWalletConfig: (source?: NodeJS.ProcessEnv) => WalletConfig = walletConfig.load;

/** What of the development defaults this configuration uses (logged at start in DEV_MODE). */
export const walletDevDefaults = walletConfig.devDefaultsInUse;
