import { ConfigError, type ConfigOf, env, loadConfig } from "@wallet/runtime";
import { z } from "zod";

/** Algorithms the gateway can verify; `none` is deliberately absent. */
export const SUPPORTED_JWT_ALGORITHMS = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
export type JwtAlgorithm = (typeof SUPPORTED_JWT_ALGORITHMS)[number];

/**
 * Used only when JWT_SECRET is unset, so a fresh checkout starts without setup;
 * the gateway logs a loud warning whenever it is in effect.
 */
export const DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production";

const MIN_SECRET_LENGTH = 32;

const jwtAlgorithms = z
  .string()
  .default("HS256")
  .transform((v) => v.split(",").map((a) => a.trim()))
  .pipe(
    z
      .array(
        z.enum(SUPPORTED_JWT_ALGORITHMS, {
          error: `must be a comma-separated list of ${SUPPORTED_JWT_ALGORITHMS.join(", ")} (never none)`,
        }),
      )
      .min(1),
  );

/** Every variable the gateway reads; keys are the environment variable names. */
export const configShape = {
  GATEWAY_HOST: env.string("0.0.0.0"),
  GATEWAY_PORT: env.int(3000, 0, 65535),
  WALLET_GRPC_URL: env.string("127.0.0.1:50051"),
  GATEWAY_UPSTREAM_TIMEOUT_MS: env.int(5000, 1, 600_000),
  REDIS_URL: env.url("redis://127.0.0.1:6379", ["redis:", "rediss:"]),
  NATS_URL: env.string("nats://127.0.0.1:4222"),
  JWT_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
    .optional(),
  JWT_ALGORITHMS: jwtAlgorithms,
  JWT_PUBLIC_KEY: env.optionalString(),
  JWT_JWKS_URL: env.optionalString(),
  JWT_ISSUER: env.optionalString(),
  JWT_AUDIENCE: env.optionalString(),
  RATE_LIMIT_MAX: env.int(100, 1),
  RATE_LIMIT_WINDOW_MS: env.int(60_000, 1),
  IDEMPOTENCY_TTL_SECONDS: env.int(86_400, 1),
  CACHE_TTL_SECONDS: env.int(30, 1),
  BODY_LIMIT_BYTES: env.int(65_536, 256, 10 * 1024 * 1024),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_GRACE_MS: env.int(25_000, 0),
};

export type GatewayConfig = ConfigOf<typeof configShape>;

/** Reads and validates the gateway's configuration; throws ConfigError naming the bad variable. */
export function loadGatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const config = loadConfig(configShape, source);
  const asymmetric = config.JWT_ALGORITHMS.filter((a) => !a.startsWith("HS"));
  if (asymmetric.length > 0 && !config.JWT_PUBLIC_KEY && !config.JWT_JWKS_URL) {
    throw new ConfigError(
      `invalid configuration: JWT_PUBLIC_KEY or JWT_JWKS_URL is required for JWT_ALGORITHMS ${asymmetric.join(",")}`,
    );
  }
  if (config.JWT_JWKS_URL && !/^https?:\/\//.test(config.JWT_JWKS_URL)) {
    throw new ConfigError("invalid configuration: JWT_JWKS_URL: must be an http(s) URL");
  }
  return config;
}

/** True when HMAC tokens are accepted but no JWT_SECRET was configured. */
export function usesDevJwtSecret(config: GatewayConfig): boolean {
  return config.JWT_SECRET === undefined && config.JWT_ALGORITHMS.some((a) => a.startsWith("HS"));
}
