import { createTokenVerifier } from "@wallet/auth";
import {
  createMetricsRegistry,
  inFlightBudgetMs,
  type Logger,
  logDevMode,
  natsAuthOptions,
} from "@wallet/runtime";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";
import { startCommittedEventSubscriber } from "./cache/committedEventSubscriber.js";
import { createHistoryCache } from "./cache/historyCache.js";
import { type GatewayConfig, gatewayDevDefaults } from "./config.js";
import { errorBody, registerErrorEnvelope } from "./http/errorEnvelope.js";
import { registerJsonBody } from "./http/jsonBody.js";
import { registerValidation } from "./http/validation.js";
import { createIdempotencyStore } from "./idempotency/idempotencyStore.js";
import { createGatewayMetrics } from "./metrics.js";
import { registerApiDocs } from "./plugins/apiDocs.js";
import { registerAuthentication } from "./plugins/authentication.js";
import { registerDraining } from "./plugins/draining.js";
import { registerIdempotency } from "./plugins/idempotency.js";
import { apiRateLimit, registerRateLimit } from "./plugins/rateLimit.js";
import { registerRequestTelemetry, requestIdOf } from "./plugins/requestTelemetry.js";
import { registerSecurityHeaders } from "./plugins/securityHeaders.js";
import { createRedisClient, createRedisFailureReporter, waitForRedis } from "./redis.js";
import { captureHold } from "./routes/captureHold.js";
import { createWallet } from "./routes/createWallet.js";
import { getHold } from "./routes/getHold.js";
import { getWallet } from "./routes/getWallet.js";
import { healthz } from "./routes/healthz.js";
import { listHolds } from "./routes/listHolds.js";
import { listTransactions } from "./routes/listTransactions.js";
import { listWallets } from "./routes/listWallets.js";
import { metrics } from "./routes/metrics.js";
import { credit, debit } from "./routes/movements.js";
import { openapi } from "./routes/openapi.js";
import { placeHold } from "./routes/placeHold.js";
import { readyz } from "./routes/readyz.js";
import { reverseTransaction } from "./routes/reverseTransaction.js";
import type { RouteDeps } from "./routes/routeDeps.js";
import { transfer } from "./routes/transfer.js";
import { voidHold } from "./routes/voidHold.js";
import { createWalletUpstream } from "./upstream/walletClient.js";

/**
 * Builds the gateway: REST in front of the wallet gRPC service, with JWT auth,
 * Redis-backed rate limits, idempotency and history cache, and NATS-driven
 * cache invalidation. Call `listen()` (or `inject()`); `close()` drains it and
 * releases every connection.
 */
export function buildGateway(config: GatewayConfig, logger: Logger): FastifyInstance {
  logDevMode(logger, config, gatewayDevDefaults(config));
  const app = Fastify({
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: requestIdOf,
    // One "request completed" line per request comes from registerRequestTelemetry instead.
    logController: new LogController({ requestIdLogLabel: "reqId", disableRequestLogging: true }),
    return503OnClosing: false,
    // Errors raised before routing (a malformed URL such as `/api/wallets/%`) get the same envelope.
    frameworkErrors: (error, request, res) => {
      (res as FastifyReply)
        .code(400)
        .send(
          errorBody(
            "VALIDATION_FAILED",
            error.code === "FST_ERR_BAD_URL" ? "URL is malformed" : "Request is invalid",
            request.id,
          ),
        );
    },
  });

  const gatewayMetrics = createGatewayMetrics(createMetricsRegistry("gateway"));
  const onRedisFailure = createRedisFailureReporter(logger, gatewayMetrics);
  const redis = createRedisClient(config.REDIS_URL, onRedisFailure);
  const wallet = createWalletUpstream({
    target: config.WALLET_GRPC_URL,
    timeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    tls: {
      caFile: config.WALLET_GRPC_CA_FILE,
      certFile: config.WALLET_GRPC_CERT_FILE,
      keyFile: config.WALLET_GRPC_KEY_FILE,
    },
    onError: (rpc, err) => gatewayMetrics.upstreamErrors.inc({ rpc, code: err.code }),
  });
  const history = createHistoryCache(redis, {
    ttlSeconds: config.CACHE_TTL_SECONDS,
    metrics: gatewayMetrics,
    onRedisFailure,
  });
  const idempotencyStore = createIdempotencyStore(redis, {
    ttlSeconds: config.IDEMPOTENCY_TTL_SECONDS,
    inFlightTtlMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS + 5000,
  });
  const verifier = createTokenVerifier(config, {
    onJwksError: (err) => logger.warn({ err }, "JWKS fetch failed, keeping the last key set"),
  });
  let subscriber: ReturnType<typeof startCommittedEventSubscriber> | undefined;

  registerValidation(app);
  registerJsonBody(app);
  registerErrorEnvelope(app);
  registerRequestTelemetry(app, gatewayMetrics);
  // The rest of the grace period is for closing connections after the drain.
  const draining = registerDraining(app, inFlightBudgetMs(config.SHUTDOWN_GRACE_MS));

  registerSecurityHeaders(app);
  const apiDocs = registerApiDocs(app);
  const rateLimits = {
    redis,
    max: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    onRedisFailure,
  };
  registerRateLimit(app, rateLimits);
  app.register(async (ops) => {
    healthz(ops);
    readyz(ops, {
      draining: draining.draining,
      detail: () => ({
        redis: redis.status,
        nats: subscriber?.status() ?? "stopped",
        wallet: wallet.channelState(),
      }),
    });
    metrics(ops, gatewayMetrics.registry);
    openapi(ops, apiDocs.openapiDocument);
  });
  app.register(async (api) => {
    registerAuthentication(api, verifier, apiRateLimit(rateLimits));
    registerIdempotency(api, { store: idempotencyStore, metrics: gatewayMetrics, onRedisFailure });
    const deps: RouteDeps = { wallet, history, creditScope: config.CREDIT_SCOPE };
    for (const route of [
      createWallet,
      listWallets,
      getWallet,
      credit,
      debit,
      transfer,
      listTransactions,
      reverseTransaction,
      placeHold,
      captureHold,
      voidHold,
      getHold,
      listHolds,
    ]) {
      route(api, deps);
    }
  });

  app.addHook("onReady", async () => {
    subscriber = startCommittedEventSubscriber({
      url: config.NATS_URL,
      auth: natsAuthOptions(config),
      history,
      logger,
    });
    // Requests fail open without Redis, so waiting only avoids a needlessly degraded start.
    if (!(await waitForRedis(redis, 3000))) logger.warn("redis not reachable yet, starting degraded");
  });
  app.addHook("onClose", async () => {
    await subscriber?.stop();
    await redis.quit().catch(() => redis.disconnect());
    wallet.close();
  });
  return app;
}

/**
 * TRUST_PROXY as Fastify's `trustProxy`: which X-Forwarded-For hops decide
 * `request.ip` (the key of anonymous rate limits). A hop count trusts that many
 * proxies in front of the gateway; a list trusts those proxy addresses.
 */
function trustProxyOption(
  value: GatewayConfig["TRUST_PROXY"],
): boolean | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof value === "number") return (_addr, hop) => hop < value;
  return value;
}

/** A listening gateway, as started by main.ts and by end-to-end tests. */
export interface RunningGateway {
  port: number;
  /** Answers 503 to new requests, lets in-flight ones finish, then closes NATS, Redis and the gRPC channel. */
  stop(): Promise<void>;
}

/** Builds the gateway and listens on GATEWAY_HOST:GATEWAY_PORT (0 = random). */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<RunningGateway> {
  const app = buildGateway(config, logger);
  await app.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.GATEWAY_PORT;
  logger.info({ port, wallet: config.WALLET_GRPC_URL }, "gateway listening");
  return {
    port,
    stop: async () => {
      await app.drain();
      await app.close();
    },
  };
}
