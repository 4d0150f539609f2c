import { randomBytes } from "node:crypto";
import { mintToken } from "@wallet/gateway";
import { type CallOptions, type Exchange, httpCall } from "../lib/http.js";
import { showExchange } from "./transcript.js";

/** Where the running platform is; every value has the local default `npm start` uses. */
export interface DemoConfig {
  gatewayUrl: string;
  /** Undefined: the gateway's built-in development secret, as the gateway itself falls back to. */
  jwtSecret: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  natsUrl: string;
  /** For the second gateway of Flow 9. */
  walletGrpcUrl: string;
  redisUrl: string;
  /** The scope tokens need to credit (CREDIT_SCOPE, as the platform's). */
  creditScope: string;
  /** NATS credentials, as the platform's (none in development mode). */
  natsAuth: { user?: string; pass?: string; token?: string };
  /**
   * What the extra service processes the demo starts (Flows 4 and 9) need to run like the
   * platform's: development mode unless DEV_MODE says otherwise, and the NATS credentials.
   */
  serviceEnv: Record<string, string>;
}

export function demoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    gatewayUrl: (env.GATEWAY_URL || "http://127.0.0.1:3000").replace(/\/$/, ""),
    jwtSecret: env.JWT_SECRET || undefined,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    natsUrl: env.NATS_URL || "nats://127.0.0.1:4222",
    walletGrpcUrl: env.WALLET_GRPC_URL || "127.0.0.1:50051",
    redisUrl: env.REDIS_URL || "redis://127.0.0.1:6379",
    creditScope: env.CREDIT_SCOPE || "wallet:credit",
    natsAuth: {
      ...(env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD } : {}),
      ...(env.NATS_TOKEN ? { token: env.NATS_TOKEN } : {}),
    },
    serviceEnv: Object.fromEntries(
      Object.entries({
        DEV_MODE: env.DEV_MODE || "true",
        CREDIT_SCOPE: env.CREDIT_SCOPE,
        NATS_USER: env.NATS_USER,
        NATS_PASSWORD: env.NATS_PASSWORD,
        NATS_TOKEN: env.NATS_TOKEN,
      }).filter((e): e is [string, string] => Boolean(e[1])),
    ),
  };
}

export interface SessionCallOptions extends CallOptions {
  /** Don't print the exchange. */
  quiet?: boolean;
  /** Printed before the request and the answer. */
  label?: string;
  /** Another gateway than the platform's (Flow 9's second one). */
  baseUrl?: string;
}

/** One demo run: its config, a run id that keeps keys and subjects fresh, and the demo user. */
export interface Session {
  config: DemoConfig;
  runId: string;
  /** The demo user (`alice`) and her USD wallet, set up by the first step. */
  user: { sub: string; token: string; walletId: string };
  /**
   * Signs a token for `sub` the way the gateway and the wallet expect. It carries
   * the credit scope (the demo's users top up their own wallets) unless `scope`
   * says otherwise ("" for a plain user token).
   */
  token(sub: string, email?: string, scope?: string): Promise<string>;
  /** Sends a request with a fresh x-request-id, prints it and its answer. */
  call(method: string, path: string, opts?: SessionCallOptions): Promise<Exchange>;
  /** A fresh Idempotency-Key with a readable prefix. */
  key(prefix: string): string;
}

export function openSession(config: DemoConfig): Session {
  const runId = randomBytes(3).toString("hex");
  let requestSeq = 0;
  let keySeq = 0;
  return {
    config,
    runId,
    user: { sub: "alice", token: "", walletId: "" },
    token: (sub, email, scope = config.creditScope) =>
      mintToken(
        { JWT_SECRET: config.jwtSecret, JWT_ISSUER: config.jwtIssuer, JWT_AUDIENCE: config.jwtAudience },
        { sub, email, scope, ttlSeconds: 3600 },
      ),
    call: async (method, path, opts = {}) => {
      requestSeq += 1;
      const headers = { "x-request-id": `demo-${runId}-${requestSeq}`, ...opts.headers };
      const ex = await httpCall(opts.baseUrl ?? config.gatewayUrl, method, path, { ...opts, headers });
      if (!opts.quiet) showExchange(ex, { label: opts.label });
      return ex;
    },
    key: (prefix) => {
      keySeq += 1;
      return `${prefix}-${runId}-${keySeq}`;
    },
  };
}
