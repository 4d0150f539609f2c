import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TransactionCommitted } from "@wallet/contracts";
import { type Logger, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";
import type { HistoryCache } from "./historyCache.js";

const RETRY_CONNECT_MS = 2000;
// Replicas share one Redis, so one of them invalidating per event is enough.
const QUEUE_GROUP = "gateway-history-cache";

/**
 * Invalidates a wallet's cached history when the wallet commits a transaction,
 * whoever made it (this gateway, another replica, or a direct gRPC caller).
 * Connects in the background and keeps retrying, so a NATS outage only leaves
 * the cache TTL as the bound on staleness.
 *
 * Hold captures and reversals commit one event per new transaction, each naming its own
 * wallet (both legs of a transfer capture or a transfer reversal), and the original a
 * reversal updates (its reversedAmount) is always on the wallet of the leg that reverses
 * it, so these events need nothing extra. Holds themselves are not cached (GET /api/holds
 * always asks the wallet), so HoldChanged events are not subscribed to.
 */
export function startCommittedEventSubscriber(opts: {
  url: string;
  /** NATS credentials (user/pass or token), from natsAuthOptions. */
  auth: { user?: string; pass?: string; token?: string };
  history: HistoryCache;
  logger: Logger;
}) {
  const { history, logger } = opts;
  let connection: NatsConnection | undefined;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();

  const run = async () => {
    try {
      const nc = await connect({
        servers: opts.url,
        ...opts.auth,
        name: "gateway",
        maxReconnectAttempts: -1,
      });
      if (stopped) return void (await nc.close());
      connection = nc;
      logger.info({ subject: TRANSACTION_COMMITTED_SUBJECT }, "subscribed to committed transactions");
      nc.subscribe(TRANSACTION_COMMITTED_SUBJECT, {
        queue: QUEUE_GROUP,
        callback: (err, msg) => {
          if (err) return logger.warn({ err }, "committed-event subscription error");
          let event: TransactionCommitted;
          try {
            event = TransactionCommitted.decode(msg.data);
          } catch (decodeErr) {
            return logger.warn({ err: decodeErr }, "undecodable committed event");
          }
          if (event.walletId) {
            void history.invalidateForEvent(event.walletId, [event.transactionId, event.transferId]);
          }
        },
      });
    } catch (err) {
      if (stopped) return;
      logger.warn({ err, retryMs: RETRY_CONNECT_MS }, "nats unavailable, retrying");
      retryTimer = setTimeout(() => {
        attempt = run();
      }, RETRY_CONNECT_MS);
    }
  };
  attempt = run();

  return {
    /** "connected", "connecting" or "closed", for readiness detail. */
    status: () => (connection ? (connection.isClosed() ? "closed" : "connected") : "connecting"),
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(retryTimer);
      await attempt;
      if (connection && !connection.isClosed()) await connection.drain();
    },
  };
}
