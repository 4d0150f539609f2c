import { randomUUID } from "node:crypto";
import { type handleUnaryCall, type ServerUnaryCall, status } from "@grpc/grpc-js";
import { mayCredit } from "@wallet/auth";
import { isValidRequestId, REQUEST_ID_HEADER } from "@wallet/runtime";
import type { Logger } from "pino";
import {
  HoldNotFoundError,
  TransactionNotFoundError,
  ValidationError,
  type WalletError,
  WalletNotFoundError,
} from "../domain/errors.js";
import { type Access, authorize, type RpcAuth } from "./authorize.js";
import { errorStatus } from "./errorStatus.js";
import type { InFlightCalls } from "./inFlightCalls.js";
import { isMalformed } from "./malformedRequests.js";
import type { RpcMetrics } from "./rpcMetrics.js";

export interface RpcDeps {
  logger: Logger;
  metrics: RpcMetrics;
  inFlight: InFlightCalls;
  auth: RpcAuth;
}

export interface CallContext {
  requestId: string;
  /** Aborts when the caller cancels or its deadline passes: store work then stops and frees its locks. */
  signal: AbortSignal;
  /** The caller holds CREDIT_SCOPE or wallet:admin: it may bring money in from outside. */
  mayCredit: boolean;
}

/** An AbortSignal that fires when the call is cancelled (client gone) or its deadline passes. */
export function callSignal(call: ServerUnaryCall<unknown, unknown>): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const abort = () => controller.abort();
  call.once("cancelled", abort);
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() - Date.now() : Number(deadline) - Date.now();
  const timer = Number.isFinite(ms) ? setTimeout(abort, Math.max(ms, 0)) : undefined;
  timer?.unref();
  if (call.cancelled) abort();
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      call.removeListener("cancelled", abort);
    },
  };
}

/** What a refused owner gets: the answer a missing wallet, transaction or hold of the method gets. */
const NOT_FOUND: Record<string, () => WalletError> = {
  GetTransaction: () => new TransactionNotFoundError(),
  ReverseTransaction: () => new TransactionNotFoundError(),
  Transfer: () => new WalletNotFoundError("Source wallet not found"),
  CaptureHold: () => new HoldNotFoundError(),
  VoidHold: () => new HoldNotFoundError(),
  GetHold: () => new HoldNotFoundError(),
};

/** The correlation id from the caller's metadata, or a new one. */
export function requestIdOf(call: ServerUnaryCall<unknown, unknown>): string {
  const value = call.metadata.get(REQUEST_ID_HEADER)[0];
  return isValidRequestId(value) ? value : randomUUID();
}

/**
 * Adapts an async handler to grpc-js: caller check (see authorize), correlation
 * id, logging, metrics, and the single error-to-status mapping. The handler
 * sees the request with its owner settled, and only once the caller may make it.
 */
export function handleUnary<Req extends { ownerId: string }, Res>(
  method: string,
  deps: RpcDeps,
  handler: (req: Req, ctx: CallContext) => Promise<Res>,
  access: Access = "owner",
): handleUnaryCall<Req, Res> {
  // A refused owner gets the answer a missing wallet (transaction, hold) of this method gets.
  const notFound = NOT_FOUND[method];
  return (call, callback) => {
    const started = process.hrtime.bigint();
    deps.inFlight.begin();
    const requestId = requestIdOf(call);
    // The call's lines carry requestId and method as fields rather than through a child
    // logger per call, which cost about a fifth of the wallet's logging CPU per credit.
    const log = deps.logger;
    const cancellation = callSignal(call);
    const done = (code: status, errorCode: string) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      deps.metrics.observe(method, status[code], seconds);
      // One line per call at info, so a request's correlation id can be followed through every service.
      const fields = {
        requestId,
        method,
        code: status[code],
        errorCode: errorCode || undefined,
        ms: Math.round(seconds * 1e4) / 10,
      };
      if (code === status.INTERNAL || code === status.UNAVAILABLE) log.error(fields, "rpc failed");
      else log.info(fields, "rpc done");
    };
    const handled = isMalformed(call.request)
      ? Promise.reject(new ValidationError("request", "is not a valid message for this method"))
      : authorize(deps.auth, call.metadata, call.request, access, notFound).then(({ request, principal }) =>
          handler(request, {
            requestId,
            signal: cancellation.signal,
            mayCredit: mayCredit(principal, deps.auth.creditScope),
          }),
        );
    handled
      .then(
        (res) => {
          done(status.OK, "");
          callback(null, res);
        },
        (err: unknown) => {
          const st = errorStatus(err);
          if (st.code === status.INTERNAL) log.error({ requestId, method, err }, "unexpected error");
          done(st.code, st.errorCode);
          callback(st);
        },
      )
      .finally(() => {
        cancellation.dispose();
        deps.inFlight.end();
      });
  };
}
