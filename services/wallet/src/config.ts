import { type ConfigOf, env, loadConfig } from "@wallet/runtime";
import type { z } from "zod";

/** Every environment variable the wallet reads; the keys are the variable names. */
export const configShape = {
  WALLET_DB_URL: env.url("postgres://postgres@127.0.0.1:5432/wallet", [
    "postgres:",
    "postgresql:",
    "mongodb:",
    "mongodb+srv:",
  ]),
  WALLET_DB_POOL_SIZE: env.int(20, 1, 500),
  WALLET_DB_BATCH_MAX: env.int(256, 1, 10_000),
  WALLET_GRPC_HOST: env.string("0.0.0.0"),
  WALLET_GRPC_PORT: env.int(50051, 0, 65535),
  WALLET_ADMIN_HOST: env.string("0.0.0.0"),
  WALLET_ADMIN_PORT: env.int(9464, 0, 65535),
  NATS_URL: env.url("nats://127.0.0.1:4222", ["nats:", "tls:"]),
  NATS_STREAM_REPLICAS: env.int(1, 1, 5),
  OUTBOX_SWEEP_INTERVAL_MS: env.int(1000, 10, 600_000),
  OUTBOX_BATCH_SIZE: env.int(500, 1, 10_000),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_GRACE_MS: env.int(25_000, 0, 600_000),
} satisfies Record<string, z.ZodType>;

export type WalletConfig = ConfigOf<typeof configShape>;

/** Reads and validates the wallet's configuration; throws ConfigError naming the bad variable. */
export function loadWalletConfig(source: NodeJS.ProcessEnv = process.env): WalletConfig {
  return loadConfig(configShape, source);
}
