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
  GATEWAY_HOST: env.string("0.0.0.0").describe("HTTP bind address"),
  GATEWAY_PORT: env.int(3000, 0, 65535).describe("HTTP port (`0`: any free port)"),
  WALLET_GRPC_URL: env
    .string("127.0.0.1:50051")
    .describe("wallet target; `dns:///wallet-headless:50051` resolves every pod and balances round-robin"),
  GATEWAY_UPSTREAM_TIMEOUT_MS: env
    .int(5000, 1, 600_000)
    .describe("deadline of every wallet call (504 `TIMEOUT` past it)"),
  REDIS_URL: env
    .url("redis://127.0.0.1:6379", ["redis:", "rediss:"])
    .describe("rate limits, idempotency records, history cache (`redis:` or `rediss:`)"),
  NATS_URL: env
    .string("nats://127.0.0.1:4222")
    .describe("`TransactionCommitted` events, for cache invalidation"),
  JWT_SECRET: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
    .optional()
    .describe(
      "HMAC secret, at least 32 characters; unset: a built-in development secret, with a loud warning at start",
    ),
  JWT_ALGORITHMS: jwtAlgorithms.describe(
    "accepted algorithms, comma separated: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA; `none` is refused. An asymmetric one needs `JWT_PUBLIC_KEY` or `JWT_JWKS_URL`",
  ),
  JWT_PUBLIC_KEY: env.optionalString().describe("PEM (SPKI) public key for the asymmetric algorithms"),
  JWT_JWKS_URL: env
    .optionalString()
    .describe("http(s) JWKS URL for the asymmetric algorithms (keys picked by `kid`)"),
  JWT_ISSUER: env.optionalString().describe("required `iss` when set"),
  JWT_AUDIENCE: env.optionalString().describe("required `aud` when set"),
  RATE_LIMIT_MAX: env
    .int(100, 1)
    .describe("requests per window per subject (client IP when unauthenticated)"),
  RATE_LIMIT_WINDOW_MS: env.int(60_000, 1).describe("rate-limit window"),
  IDEMPOTENCY_TTL_SECONDS: env.int(86_400, 1).describe("how long a stored response is replayed"),
  CACHE_TTL_SECONDS: env.int(30, 1).describe("history cache TTL (the backstop; invalidation is explicit)"),
  BODY_LIMIT_BYTES: env.int(65_536, 256, 10 * 1024 * 1024).describe("largest request body (413 above it)"),
  LOG_LEVEL: env.logLevel().describe("pino level: fatal, error, warn, info, debug, trace, silent"),
  SHUTDOWN_GRACE_MS: env.int(25_000, 0).describe("how long in-flight requests get after SIGTERM/SIGINT"),
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
