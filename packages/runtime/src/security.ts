import { ConfigError, env } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * `DEV_MODE=true` allows the development defaults (the public development JWT
 * secret, plaintext gRPC, brokers without credentials). Off by default: a
 * service missing any of those refuses to start and names the variable.
 */
export const devModeShape = {
  DEV_MODE: env
    .bool(false)
    .describe(
      "`true` allows the development defaults (public development JWT secret, plaintext gRPC, brokers without credentials) and logs it; unset, a service missing a key refuses to start naming the variable",
    ),
};

/** NATS credentials: a user and password, or a token. */
const natsCredentialsShape = {
  NATS_USER: env
    .optionalString()
    .describe("NATS user (with `NATS_PASSWORD`), or `NATS_TOKEN`; required unless `DEV_MODE=true`"),
  NATS_PASSWORD: env.optionalString().describe("password of `NATS_USER`"),
  NATS_TOKEN: env.optionalString().describe("NATS token, instead of a user and password"),
};

/** NATS_URL, described by what the service uses NATS for, and the credentials. */
export function natsShape(purpose: string) {
  return {
    NATS_URL: env
      .url("nats://127.0.0.1:4222", ["nats:", "tls:"])
      .describe(`NATS server(s) ${purpose} (\`nats:\` or \`tls:\`)`),
    ...natsCredentialsShape,
  };
}

export interface NatsCredentialsConfig {
  DEV_MODE: boolean;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TOKEN?: string;
}

/** Throws ConfigError("invalid configuration: <message>") unless `ok`. */
export function requireSetting(ok: unknown, message: string): void {
  if (!ok) throw new ConfigError(`invalid configuration: ${message}`);
}

/** A key only development may go without: refused with "<message> unless DEV_MODE=true". */
export function requireOutsideDevMode(config: { DEV_MODE: boolean }, ok: unknown, message: string): void {
  requireSetting(config.DEV_MODE || ok, `${message} unless DEV_MODE=true`);
}

/** Settings that only work together (a certificate and its key): both or neither. */
export function requireTogether(config: Record<string, unknown>, a: string, b: string): void {
  requireSetting(
    (config[a] === undefined) === (config[b] === undefined),
    `${a} and ${b} must be set together`,
  );
}

/** The development defaults every service may use: the public JWT secret, NATS without credentials. */
export function commonDevDefaults(
  config: NatsCredentialsConfig & {
    JWT_SECRET?: string;
    JWT_PUBLIC_KEY?: string;
    JWT_JWKS_URL?: string;
  },
): string[] {
  const used: string[] = [];
  if (config.JWT_SECRET === undefined && !config.JWT_PUBLIC_KEY && !config.JWT_JWKS_URL)
    used.push("JWT_SECRET");
  if (!config.NATS_USER && !config.NATS_TOKEN) used.push("NATS without credentials");
  return used;
}

/** Throws a ConfigError for incomplete NATS credentials, or for none outside DEV_MODE. */
export function checkNatsCredentials(config: NatsCredentialsConfig): void {
  const { NATS_USER: user, NATS_TOKEN: token } = config;
  requireTogether({ ...config }, "NATS_USER", "NATS_PASSWORD");
  requireSetting(
    user === undefined || token === undefined,
    "set NATS_USER/NATS_PASSWORD or NATS_TOKEN, not both",
  );
  requireOutsideDevMode(
    config,
    user !== undefined || token !== undefined,
    "NATS_USER and NATS_PASSWORD (or NATS_TOKEN) are required",
  );
}

/** The credential options of a nats.js `connect()` call. */
export function natsAuthOptions(config: NatsCredentialsConfig): {
  user?: string;
  pass?: string;
  token?: string;
} {
  if (config.NATS_TOKEN !== undefined) return { token: config.NATS_TOKEN };
  if (config.NATS_USER !== undefined) return { user: config.NATS_USER, pass: config.NATS_PASSWORD };
  return {};
}

/** Says loudly, once at start, that the service runs with development defaults. */
export function logDevMode(logger: Logger, config: { DEV_MODE: boolean }, defaultsInUse: string[]): void {
  if (!config.DEV_MODE) return;
  logger.warn(
    { devMode: true, defaultsInUse },
    "DEV_MODE=true: running in development mode with development defaults; never run like this in production",
  );
}
