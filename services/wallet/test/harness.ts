import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type CallOptions,
  credentials,
  InterceptingCall,
  type Interceptor,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { ADMIN_SCOPE, mintToken } from "@wallet/auth";
import {
  decodeErrorInfo,
  ERROR_DOMAIN,
  STATUS_DETAILS_KEY,
  type TransferRequest,
  WalletServiceClient,
} from "@wallet/contracts";
import { createLogger } from "@wallet/runtime";
import { afterAll, beforeAll, inject } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { startWallet, type WalletApp } from "../src/app.js";
import { loadWalletConfig } from "../src/config.js";

/** The HS256 secret of every test wallet (DEV_MODE stays on for plaintext and NATS without credentials). */
export const JWT_SECRET = "wallet-test-secret-at-least-32-characters";

/** A token the test wallets accept; `scope` is space separated (none: a plain user token). */
/** The subject of the operator token test clients send by default (an empty owner_id means this owner). */
export const OPERATOR_SUB = "test-operator";

export function testToken(sub: string, scope?: string, ttlSeconds?: number): Promise<string> {
  return mintToken({ JWT_SECRET }, { sub, scope, ttlSeconds });
}

/** Metadata carrying `authorization: Bearer <token>`. */
export function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

/**
 * Adds `authorization: Bearer <token>` to every call that does not carry one, so
 * tests about money and events act as an operator (wallet:admin, any owner)
 * while the authorization tests send their own tokens.
 */
export function defaultToken(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (metadata.get("authorization").length === 0) metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** The default environment of test wallets, over which tests put their own. */
export const TEST_WALLET_ENV = { DEV_MODE: "true", JWT_SECRET };

export interface RunningWallet {
  app: WalletApp;
  /** A client whose calls carry an operator token (wallet:admin) unless they bring their own. */
  client: WalletServiceClient;
  dbUrl: string;
  close(): Promise<void>;
}

/** Starts a real wallet on random ports against a fresh database, with a real gRPC client. */
export async function startTestWallet(
  env: Record<string, string> = {},
  dbUrl?: string,
): Promise<RunningWallet> {
  const db = dbUrl ? undefined : await createDatabase(inject("pgClusterUrl"));
  const url = dbUrl ?? db!.url;
  const config = loadWalletConfig({
    WALLET_DB_URL: url,
    WALLET_GRPC_HOST: "127.0.0.1",
    WALLET_GRPC_PORT: "0",
    WALLET_ADMIN_HOST: "127.0.0.1",
    WALLET_ADMIN_PORT: "0",
    NATS_URL: "nats://127.0.0.1:1",
    LOG_LEVEL: "silent",
    SHUTDOWN_GRACE_MS: "5000",
    ...TEST_WALLET_ENV,
    ...env,
  });
  const app = await startWallet(config, createLogger("wallet", config.LOG_LEVEL));
  const admin = await testToken(OPERATOR_SUB, ADMIN_SCOPE, 24 * 3600);
  const client = new WalletServiceClient(`127.0.0.1:${app.grpcPort}`, credentials.createInsecure(), {
    interceptors: [defaultToken(admin)],
  });
  return {
    app,
    client,
    dbUrl: url,
    close: async () => {
      client.close();
      await app.stop();
      await db?.drop();
    },
  };
}

/**
 * For the enclosing describe block: a test wallet (`startTestWallet(env)`) started
 * before its tests and closed after them (`suite.wallet` and its operator
 * `suite.client` once they run). `env` may be a function, read when the wallet
 * starts, for settings earlier hooks make (certificates, a NATS server).
 */
export function walletPerSuite(env: Record<string, string> | (() => Record<string, string>) = {}): {
  wallet: RunningWallet;
  client: WalletServiceClient;
} {
  const suite = {} as { wallet: RunningWallet; client: WalletServiceClient };
  beforeAll(async () => {
    suite.wallet = await startTestWallet(typeof env === "function" ? env() : env);
    suite.client = suite.wallet.client;
  });
  afterAll(() => suite.wallet?.close());
  return suite;
}

/** An owner id no other test uses. */
export const newOwner = () => `user-${randomUUID()}`;

/** Creates a wallet of `ownerId` in `currency` and returns it. */
export async function createWallet(
  client: WalletServiceClient,
  ownerId: string,
  currency = "USD",
  ownerEmail = "",
) {
  return (await call(client, client.createWallet, { ownerId, currency, ownerEmail })).wallet!;
}

/** A transfer with a fresh idempotency key, and no metadata unless `req` has some. */
export function transfer(
  client: WalletServiceClient,
  req: Omit<TransferRequest, "idempotencyKey" | "metadata"> & Partial<Pick<TransferRequest, "metadata">>,
) {
  return call(client, client.transfer, { idempotencyKey: randomUUID(), metadata: {}, ...req });
}

// The generated clients' last overload; TypeScript infers from it.
export type Unary<Req, Res> = (
  req: Req,
  md: Metadata,
  options: Partial<CallOptions>,
  cb: (err: ServiceError | null, res: Res) => void,
) => unknown;

/**
 * Calls a unary RPC; resolves with the response or rejects with the ServiceError.
 * `token` replaces the client's default credential for this call.
 */
export function call<Req, Res>(
  client: WalletServiceClient,
  method: Unary<Req, Res>,
  req: Req,
  requestId?: string,
  token?: string,
) {
  const md = token ? bearer(token) : new Metadata();
  if (requestId) md.set("x-request-id", requestId);
  return new Promise<Res>((resolve, reject) =>
    method.call(client, req, md, {}, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

/** The error's gRPC code and the machine reason from the ErrorInfo in its `grpc-status-details-bin` trailer. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ code: number; reason: string; details: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as ServiceError;
    const info = decodeErrorInfo(err.metadata?.get(STATUS_DETAILS_KEY)[0]);
    const reason = info?.domain === ERROR_DOMAIN ? info.reason : "";
    return { code: err.code, reason, details: err.details };
  }
  throw new Error("expected the call to fail");
}

export interface ReadinessBody {
  status: string;
  store: string;
  nats: string;
  outboxBacklog: number | null;
  shuttingDown: boolean;
}

/** GET /readyz of the wallet's admin port. */
export async function readiness(adminPort: number): Promise<ReadinessBody> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
  return (await res.json()) as ReadinessBody;
}

const bufBinary = fileURLToPath(new URL("../../../node_modules/.bin/buf", import.meta.url));

/** Runs `buf curl` (an independent gRPC client that uses server reflection) and returns its stdout. */
export async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    bufBinary,
    ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args],
    { timeout: 20_000 },
  );
  return stdout;
}

/** Runs `buf curl` expecting failure; resolves with its stderr (the gRPC status as buf prints it). */
export async function bufCurlFailure(...args: string[]): Promise<string> {
  try {
    await bufCurl(...args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error("expected buf curl to fail");
}
