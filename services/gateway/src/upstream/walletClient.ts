import { readFileSync } from "node:fs";
import {
  type CallOptions,
  type ChannelCredentials,
  type ClientUnaryCall,
  connectivityState,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import { WalletServiceClient } from "@wallet/contracts";
import { REQUEST_ID_HEADER } from "@wallet/runtime";
import type { ApiError } from "../http/apiError.js";
import { toApiError } from "./upstreamError.js";

type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** The incoming request a wallet call is made for: its correlation id and the caller's own bearer token. */
export interface Caller {
  id: string;
  bearer: string | null;
}

/** A wallet RPC as the routes see it: request in, response or ApiError out. */
export type WalletCall<Req, Res> = (request: Req, caller: Caller) => Promise<Res>;

type Methods = {
  [K in keyof WalletServiceClient as WalletServiceClient[K] extends Unary<infer _Q, infer _S>
    ? K
    : never]: WalletServiceClient[K];
};

export type WalletUpstream = {
  [K in keyof Methods]: Methods[K] extends Unary<infer Req, infer Res> ? WalletCall<Req, Res> : never;
} & {
  /** Channel state name (READY, CONNECTING, TRANSIENT_FAILURE, ...), for readiness detail. */
  channelState(): string;
  close(): void;
};

const RPC_NAMES = [
  "createWallet",
  "getWallet",
  "listWallets",
  "credit",
  "debit",
  "transfer",
  "listTransactions",
  "getTransaction",
  "reverseTransaction",
  "placeHold",
  "captureHold",
  "voidHold",
  "getHold",
  "listHolds",
] as const satisfies readonly (keyof Methods)[];

/** PEM files for TLS to the wallet: the CA that signed its certificate, and a client certificate for mTLS. */
export interface WalletTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** TLS credentials when a CA is given (with a client certificate when cert and key are), else plaintext. */
export function walletChannelCredentials(tls: WalletTls): ChannelCredentials {
  if (!tls.caFile) return credentials.createInsecure();
  return credentials.createSsl(
    readFileSync(tls.caFile),
    tls.keyFile ? readFileSync(tls.keyFile) : null,
    tls.certFile ? readFileSync(tls.certFile) : null,
  );
}

/**
 * gRPC client for wallet.v1 with a deadline on every call, and the request id
 * and the caller's own `authorization` forwarded as metadata: the wallet checks
 * the same token again and acts only for its subject. `dns:///host:port`
 * targets resolve to every address and round_robin spreads calls over them (a
 * headless Service in Kubernetes).
 */
export function createWalletUpstream(opts: {
  target: string;
  timeoutMs: number;
  tls?: WalletTls;
  onError: (rpc: string, err: ApiError) => void;
}): WalletUpstream {
  const client = new WalletServiceClient(opts.target, walletChannelCredentials(opts.tls ?? {}), {
    "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    // Reconnect quickly once a restarted wallet is back, instead of backing off for up to two minutes.
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 5000,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  });

  const invoke = <Req, Res>(rpc: string, fn: Unary<Req, Res>): WalletCall<Req, Res> => {
    const bound = fn.bind(client);
    return (request, caller) =>
      new Promise<Res>((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set(REQUEST_ID_HEADER, caller.id);
        if (caller.bearer) metadata.set("authorization", `Bearer ${caller.bearer}`);
        bound(request, metadata, { deadline: Date.now() + opts.timeoutMs }, (error, response) => {
          if (!error) return resolve(response);
          const apiError = toApiError(error);
          opts.onError(rpc, apiError);
          reject(apiError);
        });
      });
  };

  const calls = Object.fromEntries(
    RPC_NAMES.map((name) => [name, invoke(name, client[name] as Unary<unknown, unknown>)]),
  ) as Omit<WalletUpstream, "channelState" | "close">;

  return {
    ...calls,
    channelState: () => connectivityState[client.getChannel().getConnectivityState(false)],
    close: () => client.close(),
  };
}
