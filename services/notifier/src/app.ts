import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  createMetricsRegistry,
  EVENTS_STREAM,
  ensureWalletStreams,
  inFlightBudgetMs,
  type Logger,
  logDevMode,
  natsAuthOptions,
  startAdminServer,
} from "@wallet/runtime";
import { EMAIL_TIMEOUT_MS } from "./channels/email.js";
import { channelsFromConfig } from "./channels/fromConfig.js";
import { type NotifierConfig, notifierDevDefaults } from "./config.js";
import { type ConsumeLoop, startConsumeLoop } from "./consumeLoop.js";
import { ensureNotifierConsumer } from "./consumer.js";
import { openDeliveryRecords } from "./deliveryRecords.js";
import { createDispatcher } from "./dispatch.js";
import { createNotifierMetrics } from "./metrics.js";

/** How often consumer lag (num_pending) is refreshed for /metrics. */
const LAG_REFRESH_MS = 5_000;

/** A started notifier: its admin port and an ordered shutdown. */
export interface RunningNotifier {
  adminPort: number;
  /** Stops pulling, finishes in-flight deliveries within the grace period, drains NATS, closes the admin server. */
  stop(): Promise<void>;
}

/**
 * Connects to NATS, ensures the streams, the durable consumer and the delivery-record
 * bucket, then consumes TransactionCommitted events and delivers them on the
 * configured channels.
 */
export async function startNotifier(config: NotifierConfig, logger: Logger): Promise<RunningNotifier> {
  logDevMode(logger, config, notifierDevDefaults(config));
  const nc = await connect({
    servers: config.NATS_URL,
    ...natsAuthOptions(config),
    name: "notifier",
    maxReconnectAttempts: -1,
  });
  const channels = channelsFromConfig(config);
  try {
    return await startOn(nc, config, logger, channels);
  } catch (err) {
    await Promise.allSettled(channels.map((c) => c.close?.()));
    await nc.close();
    throw err;
  }
}

async function startOn(
  nc: NatsConnection,
  config: NotifierConfig,
  logger: Logger,
  channels: ReturnType<typeof channelsFromConfig>,
): Promise<RunningNotifier> {
  const replicas = config.NATS_STREAM_REPLICAS;
  const name = config.NOTIFIER_CONSUMER_NAME;
  const jsm = await jetstreamManager(nc);
  await ensureWalletStreams(jsm, replicas);
  // A short ack wait, kept alive with in-progress acks for every message held, so a slow
  // delivery is never handed to another replica while the messages of a process that
  // died or stalled come back within seconds. A delivery claim is taken over by the
  // redelivery of the same message; otherwise (the same event published twice) it
  // outlasts one attempt, so it only lapses when its holder is gone.
  const ackWaitMs = config.NOTIFIER_ACK_WAIT_MS;
  const attemptMs = Math.max(config.NOTIFIER_WEBHOOK_TIMEOUT_MS, EMAIL_TIMEOUT_MS);
  const claimMs = attemptMs + 10_000;
  await ensureNotifierConsumer(jsm, {
    name,
    ackWaitMs,
    maxAckPending: Math.max(1_000, config.NOTIFIER_CONCURRENCY * 4),
  });
  const records = await openDeliveryRecords(nc, { replicas, consumer: name, claimMs });
  const js = jetstream(nc);
  const registry = createMetricsRegistry("notifier");
  const metrics = createNotifierMetrics(registry);

  let connected = true;
  let stopping = false;
  let loop: ConsumeLoop | undefined;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        connected = false;
        logger.warn({ server: s.server }, "NATS disconnected");
      } else if (s.type === "reconnect") {
        connected = true;
        logger.info({ server: s.server }, "NATS reconnected");
      }
    }
  })();

  const admin = await startAdminServer({
    host: config.NOTIFIER_ADMIN_HOST,
    port: config.NOTIFIER_ADMIN_PORT,
    registry,
    readiness: () => {
      const consuming = loop?.consuming() ?? false;
      return {
        ready: connected && consuming && !stopping,
        detail: { nats: connected ? "connected" : "disconnected", consuming, stopping },
      };
    },
  });

  // Safety net: the server gives up on a message only with max_deliver, which this
  // consumer does not set; MAX_DELIVERIES must stay 0. MSG_TERMINATED follows every dead letter.
  const advisories = nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.*.${EVENTS_STREAM}.${name}`, {
    callback: (_err, msg) => {
      const kind = msg.subject.split(".")[4];
      if (kind !== "MAX_DELIVERIES" && kind !== "MSG_TERMINATED") return;
      metrics.advisories.inc({ kind: kind.toLowerCase() });
      if (kind === "MAX_DELIVERIES") {
        logger.error({ advisory: msg.string() }, "JetStream gave up on a message (MAX_DELIVERIES advisory)");
      }
    },
  });

  const consumer = await js.consumers.get(EVENTS_STREAM, name);
  const dispatch = createDispatcher({
    js,
    channels,
    records,
    metrics,
    logger,
    maxDeliver: config.NOTIFIER_MAX_DELIVER,
    backoffBaseMs: config.NOTIFIER_BACKOFF_BASE_MS,
  });
  loop = startConsumeLoop(nc, {
    stream: EVENTS_STREAM,
    consumer: name,
    concurrency: config.NOTIFIER_CONCURRENCY,
    ackWaitMs,
    logger,
    handle: dispatch,
  });

  const refreshLag = async () => {
    try {
      const info = await consumer.info();
      metrics.consumerPending.set(info.num_pending);
      metrics.consumerAckPending.set(info.num_ack_pending);
    } catch (err) {
      logger.debug({ err }, "consumer info unavailable");
    }
  };
  await refreshLag();
  const lagTimer = setInterval(refreshLag, LAG_REFRESH_MS);
  lagTimer.unref();

  logger.info(
    { consumer: name, channels: channels.map((c) => c.name), adminPort: admin.port, ackWaitMs },
    "notifier consuming",
  );

  let stopped: Promise<void> | undefined;
  return {
    adminPort: admin.port,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(lagTimer);
        // The rest of the grace is for handing messages back and draining the connection.
        await loop?.stop(inFlightBudgetMs(config.SHUTDOWN_GRACE_MS));
        advisories.unsubscribe();
        await nc.drain().catch(async (err: unknown) => {
          logger.warn({ err }, "NATS drain failed, closing the connection");
          await nc.close();
        });
        await Promise.allSettled(channels.map((c) => c.close?.()));
        await admin.close();
      })();
      return stopped;
    },
  };
}
