import helmet from "@fastify/helmet";
import { createMetricsRegistry, type Logger } from "@wallet/runtime";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from "fastify";
import { createTokenVerifier } from "./auth/tokenVerifier.js";
import { startCommittedEventSubscriber } from "./cache/committedEventSubscriber.js";
import { createHistoryCache } from "./cache/historyCache.js";
import { type GatewayConfig, usesDevJwtSecret } from "./config.js";
import { errorBody, registerErrorEnvelope } from "./http/errorEnvelope.js";
import { registerJsonBody } from "./http/jsonBody.js";
import { registerValidation } from "./http/validation.js";
import { createIdempotencyStore } from "./idempotency/idempotencyStore.js";
import { createGatewayMetrics } from "./metrics.js";
import { registerApiDocs } from "./plugins/apiDocs.js";
import { registerAuthentication } from "./plugins/authentication.js";
import { registerDraining } from "./plugins/draining.js";
import { registerIdempotency } from "./plugins/idempotency.js";
import { registerRateLimit } from "./plugins/rateLimit.js";
import { registerRequestTelemetry, requestIdOf } from "./plugins/requestTelemetry.js";
import { createRedisClient, createRedisFailureReporter, waitForRedis } from "./redis.js";
import { createWallet } from "./routes/createWallet.js";
import { credit } from "./routes/credit.js";
import { debit } from "./routes/debit.js";
import { getWallet } from "./routes/getWallet.js";
import { healthz } from "./routes/healthz.js";
import { listTransactions } from "./routes/listTransactions.js";
import { listWallets } from "./routes/listWallets.js";
import { metrics } from "./routes/metrics.js";
import { openapi } from "./routes/openapi.js";
import { readyz } from "./routes/readyz.js";
import type { RouteDeps } from "./routes/routeDeps.js";
import { transfer } from "./routes/transfer.js";
import { createWalletUpstream } from "./wallet/walletClient.js";

/**
 * Builds the gateway: REST in front of the wallet gRPC service, with JWT auth,
 * Redis-backed rate limits, idempotency and history cache, and NATS-driven
 * cache invalidation. Call `listen()` (or `inject()`); `close()` drains it and
 * releases every connection.
 */
export function buildGateway(config: GatewayConfig, logger: Logger): FastifyInstance {
  if (usesDevJwtSecret(config)) {
    logger.warn(
      "JWT_SECRET is not set: using the built-in development secret. Anyone can mint tokens. " +
        "Never run like this outside local development.",
    );
  }
  const app = Fastify({
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
  let subscriber: ReturnType<typeof startCommittedEventSubscriber> | undefined;

  registerValidation(app);
  registerJsonBody(app);
  registerErrorEnvelope(app);
  registerRequestTelemetry(app, gatewayMetrics);
  // Leaves a second of the grace period for closing connections after the drain.
  const draining = registerDraining(app, Math.max(config.SHUTDOWN_GRACE_MS - 1000, 0));

  app.register(helmet);
  registerApiDocs(app);
  registerRateLimit(app, {
    redis,
    max: config.RATE_LIMIT_MAX,
    windowMs: config.RATE_LIMIT_WINDOW_MS,
    onRedisFailure,
  });
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
    openapi(ops);
  });
  app.register(async (api) => {
    registerAuthentication(api, createTokenVerifier(config));
    registerIdempotency(api, { store: idempotencyStore, metrics: gatewayMetrics, onRedisFailure });
    const deps: RouteDeps = { wallet, history };
    for (const route of [createWallet, listWallets, getWallet, credit, debit, transfer, listTransactions]) {
      route(api, deps);
    }
  });

  app.addHook("onReady", async () => {
    subscriber = startCommittedEventSubscriber({ url: config.NATS_URL, history, logger });
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
