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

/** Settings that only work together (a certificate and its key): both or neither. */
export function requireTogether(config: Record<string, unknown>, a: string, b: string): void {
  requireSetting(
    (config[a] === undefined) === (config[b] === undefined),
    `${a} and ${b} must be set together`,
  );
}

/**
 * A key development may go without. Outside DEV_MODE a configuration without it is refused
 * ("<required> unless DEV_MODE=true"); in DEV_MODE the service logs `fallback` at start.
 */
export interface DevDefault<C> {
  /** What the service falls back to without the key ("plaintext gRPC"). */
  fallback: string;
  /** Whether the configuration provides the key. */
  provided(config: C): unknown;
  /** The refusal outside DEV_MODE; absent when another check refuses it (the JWT key: checkAuthConfig). */
  required?: string;
}

/** NATS credentials: a user and password, or a token. */
export const natsDevDefault: DevDefault<NatsCredentialsConfig> = {
  fallback: "NATS without credentials",
  provided: (c) => c.NATS_USER !== undefined || c.NATS_TOKEN !== undefined,
  required: "NATS_USER and NATS_PASSWORD (or NATS_TOKEN) are required",
};

/** Refuses, outside DEV_MODE, a configuration without a key of `defaults` (the first one missing). */
export function requireOutsideDevMode<C extends { DEV_MODE: boolean }>(
  config: C,
  defaults: DevDefault<C>[],
): void {
  for (const d of defaults) {
    if (d.required)
      requireSetting(config.DEV_MODE || d.provided(config), `${d.required} unless DEV_MODE=true`);
  }
}

/** The variables naming one end's TLS files on the gRPC link between gateway and wallet. */
export interface GrpcTlsFiles {
  /** PEM certificate this end presents (the server's; the client's for mTLS), with `key`. */
  cert: string;
  key: string;
  /** PEM CA verifying the other end (the client's CA for mTLS on the server; the server's on the client). */
  ca: string;
}

/**
 * The checks of one end's TLS files: a certificate and its key come together; the server
 * needs its certificate outside DEV_MODE and verifies clients (mTLS) only over TLS; the
 * client needs the server's CA outside DEV_MODE, and presents a certificate only to a
 * server it verifies. Without them development falls back to plaintext gRPC.
 */
export function grpcTlsChecks<C extends object>(
  end: "server" | "client",
  { cert, key, ca }: GrpcTlsFiles,
): { rule: (config: C) => void; devDefault: DevDefault<C> } {
  const set = (config: C, name: string) => (config as Record<string, unknown>)[name] !== undefined;
  const server = end === "server";
  return {
    rule(config) {
      requireTogether(config as Record<string, unknown>, cert, key);
      requireSetting(
        server ? !set(config, ca) || set(config, cert) : !set(config, cert) || set(config, ca),
        server ? `${ca} needs ${cert} and ${key} (mTLS runs over TLS)` : `${ca} is required with ${cert}`,
      );
    },
    devDefault: {
      fallback: "plaintext gRPC",
      provided: (config) => set(config, server ? cert : ca),
      required: server
        ? `${cert} and ${key} are required (gRPC over TLS)`
        : `${ca} is required (TLS to the wallet)`,
    },
  };
}

/** The fallbacks of `defaults` this configuration uses (logged at start in DEV_MODE). */
export function devDefaultsInUse<C>(config: C, defaults: DevDefault<C>[]): string[] {
  return defaults.filter((d) => !d.provided(config)).map((d) => d.fallback);
}

/** Throws a ConfigError for incomplete NATS credentials, or for none outside DEV_MODE. */
export function checkNatsCredentials(config: NatsCredentialsConfig): void {
  const { NATS_USER: user, NATS_TOKEN: token } = config;
  requireTogether({ ...config }, "NATS_USER", "NATS_PASSWORD");
  requireSetting(
    user === undefined || token === undefined,
    "set NATS_USER/NATS_PASSWORD or NATS_TOKEN, not both",
  );
  requireOutsideDevMode(config, [natsDevDefault]);
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
