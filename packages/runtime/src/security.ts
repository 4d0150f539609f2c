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
export const natsCredentialsShape = {
  NATS_USER: env
    .optionalString()
    .describe("NATS user (with `NATS_PASSWORD`), or `NATS_TOKEN`; required unless `DEV_MODE=true`"),
  NATS_PASSWORD: env.optionalString().describe("password of `NATS_USER`"),
  NATS_TOKEN: env.optionalString().describe("NATS token, instead of a user and password"),
};

export interface NatsCredentialsConfig {
  DEV_MODE: boolean;
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_TOKEN?: string;
}

/** Throws a ConfigError for incomplete NATS credentials, or for none outside DEV_MODE. */
export function checkNatsCredentials(config: NatsCredentialsConfig): void {
  const { NATS_USER: user, NATS_PASSWORD: pass, NATS_TOKEN: token } = config;
  if ((user === undefined) !== (pass === undefined)) {
    throw new ConfigError("invalid configuration: NATS_USER and NATS_PASSWORD must be set together");
  }
  if (user !== undefined && token !== undefined) {
    throw new ConfigError("invalid configuration: set NATS_USER/NATS_PASSWORD or NATS_TOKEN, not both");
  }
  if (user === undefined && token === undefined && !config.DEV_MODE) {
    throw new ConfigError(
      "invalid configuration: NATS_USER and NATS_PASSWORD (or NATS_TOKEN) are required unless DEV_MODE=true",
    );
  }
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
