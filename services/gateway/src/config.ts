import { isIP } from "node:net";
import { type AuthConfig, authConfigShape, checkAuthConfig, jwtDevDefault } from "@wallet/auth";
import { type ConfigOf, env, grpcTlsChecks, serviceConfig, serviceShape } from "@wallet/runtime";
import { z } from "zod";

/**
 * TRUST_PROXY: `false`, a hop count, or a comma-separated list of proxy
 * addresses/CIDRs, in the form Fastify's `trustProxy` takes.
 */
const trustProxy = z
  .string()
  .default("false")
  .transform((value, ctx): false | number | string[] => {
    const v = value.trim();
    if (v === "false") return false;
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v.split(",").map((s) => s.trim());
    for (const entry of entries) {
      const [address, prefix, ...rest] = entry.split("/");
      const family = isIP(address ?? "");
      const maxPrefix = family === 6 ? 128 : 32;
      const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix);
      if (family === 0 || !prefixOk || rest.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be false, a hop count, or a comma-separated list of IP addresses/CIDRs (got "${entry}")`,
        });
        return z.NEVER;
      }
    }
    return entries;
  });

/** Every variable the gateway reads; keys are the environment variable names. */
export const configShape = {
  GATEWAY_HOST: env.string("0.0.0.0").describe("HTTP bind address"),
  GATEWAY_PORT: env.int(3000, 0, 65535).describe("HTTP port (`0`: any free port)"),
  WALLET_GRPC_URL: env
    .string("127.0.0.1:50051")
    .describe("wallet target; `dns:///wallet-headless:50051` resolves every pod and balances round-robin"),
  WALLET_GRPC_CA_FILE: env
    .optionalString()
    .describe("PEM CA of the wallet's certificate: dial over TLS; required unless `DEV_MODE=true`"),
  WALLET_GRPC_CERT_FILE: env
    .optionalString()
    .describe("PEM client certificate for mTLS (with `WALLET_GRPC_KEY_FILE`)"),
  WALLET_GRPC_KEY_FILE: env.optionalString().describe("PEM key of `WALLET_GRPC_CERT_FILE`"),
  GATEWAY_UPSTREAM_TIMEOUT_MS: env
    .int(5000, 1, 600_000)
    .describe("deadline of every wallet call (504 `TIMEOUT` past it)"),
  REDIS_URL: env
    .url("redis://127.0.0.1:6379", ["redis:", "rediss:"])
    .describe("rate limits, idempotency records, history cache (`redis:` or `rediss:`)"),
  ...serviceShape({ nats: "of the wallet's events, for cache invalidation", work: "requests" }),
  ...authConfigShape,
  TRUST_PROXY: trustProxy.describe(
    "proxies in front: `false`, a hop count, or a comma-separated CIDR list; decides the client address of anonymous rate limits",
  ),
  RATE_LIMIT_MAX: env
    .int(100, 1)
    .describe(
      "requests per window per verified subject, or per client address for requests without a valid token",
    ),
  RATE_LIMIT_WINDOW_MS: env.int(60_000, 1).describe("rate-limit window"),
  IDEMPOTENCY_TTL_SECONDS: env.int(86_400, 1).describe("how long a stored response is replayed"),
  CACHE_TTL_SECONDS: env.int(30, 1).describe("history cache TTL (the backstop; invalidation is explicit)"),
  BODY_LIMIT_BYTES: env.int(65_536, 256, 10 * 1024 * 1024).describe("largest request body (413 above it)"),
};

export type GatewayConfig = ConfigOf<typeof configShape> & AuthConfig;

const walletTls = grpcTlsChecks<GatewayConfig>("client", {
  cert: "WALLET_GRPC_CERT_FILE",
  key: "WALLET_GRPC_KEY_FILE",
  ca: "WALLET_GRPC_CA_FILE",
});

const gatewayConfig = serviceConfig(configShape, {
  rules: [checkAuthConfig, walletTls.rule],
  devDefaults: [
    jwtDevDefault,
    {
      fallback: "Redis without password",
      provided: (c) => new URL(c.REDIS_URL).password !== "",
      required: "REDIS_URL must carry a password (redis://default:PASSWORD@host:6379)",
    },
    walletTls.devDefault,
  ],
});

/**
 * Reads and validates the gateway's configuration; throws ConfigError naming the
 * bad variable. Outside DEV_MODE it also requires real keys: a JWT key source,
 * NATS credentials, a Redis password and TLS towards the wallet.
 */
export const loadGatewayConfig: (source?: NodeJS.ProcessEnv) => GatewayConfig = gatewayConfig.load;

/** What of the development defaults this configuration uses (logged at start in DEV_MODE). */
export const gatewayDevDefaults = gatewayConfig.devDefaultsInUse;
