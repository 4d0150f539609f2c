import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { TransactionCommitted } from "@wallet/contracts";
import { type Logger, REQUEST_ID_HEADER } from "@wallet/runtime";
import { redeliveryDelayMs } from "./backoff.js";
import type { DeliveryChannel, DeliveryOutcome } from "./channels/channel.js";
import { publishDeadLetter } from "./deadLetter.js";
import type { DeliveryRecords } from "./deliveryRecords.js";
import { decodeTransactionCommitted, UndecodableEventError } from "./event.js";
import { createInFlightEvents } from "./inFlightEvents.js";
import type { NotifierMetrics } from "./metrics.js";

export interface DispatchDeps {
  js: JetStreamClient;
  channels: readonly DeliveryChannel[];
  records: DeliveryRecords;
  metrics: NotifierMetrics;
  logger: Logger;
  maxDeliver: number;
  backoffBaseMs: number;
}

interface ChannelFailure {
  channel: string;
  reason: string;
  /** The error behind the failure, logged with its stack and cause. */
  err?: unknown;
}

/** One error for a log line: the failed channel's own, or all of them when several failed. */
function errorOf(failures: ChannelFailure[]): unknown {
  const errs = failures.flatMap((f) => (f.err === undefined ? [] : [f.err]));
  return errs.length <= 1 ? errs[0] : new AggregateError(errs, "several channels failed");
}

/**
 * Builds the per-message routine: deliver on every channel not yet recorded for the
 * event, then ack; on failure nak with backoff, or after the last allowed delivery
 * copy the message to the dead-letter stream and terminate it. Copies of one event
 * are handled one after the other, never at once.
 */
export function createDispatcher(deps: DispatchDeps): (msg: JsMsg) => Promise<void> {
  const { metrics } = deps;
  const inFlight = createInFlightEvents();

  return async (msg) => {
    const attempt = msg.info.deliveryCount;
    const requestId = msg.headers?.get(REQUEST_ID_HEADER) || undefined;
    const bindings = { requestId, streamSeq: msg.info.streamSequence, attempt };
    if (attempt > 1) metrics.redeliveries.inc();

    let event: TransactionCommitted;
    try {
      event = decodeTransactionCommitted(msg.data);
    } catch (err) {
      if (!(err instanceof UndecodableEventError)) throw err;
      const msgId = msg.headers?.get("Nats-Msg-Id") || `${msg.info.stream}-${msg.info.streamSequence}`;
      const log = deps.logger.child(bindings);
      const moved = await deadLetter(
        msg,
        log,
        { reason: err.message, failedChannels: [], msgId },
        "undecodable",
        err,
      );
      if (!moved) retryLater(msg, log, `dead letter not published: ${err.message}`);
      return;
    }
    const log = deps.logger.child({ ...bindings, eventId: event.eventId });

    let waited = false;
    const failures = await inFlight.run(
      event.eventId,
      async () => {
        // Waiting for the other copy used up part of this one's ack wait.
        if (waited) msg.working();
        return deliverAll(event, log);
      },
      () => {
        waited = true;
        log.debug("another copy of this event is in flight, waiting for it");
      },
    );

    if (failures.length === 0) {
      msg.ack();
      metrics.eventLatency.observe(Math.max(0, Date.now() - Number(msg.info.timestampNanos / 1e6)) / 1000);
      return;
    }
    const reason = failures.map((f) => `${f.channel}: ${f.reason}`).join("; ");
    if (attempt >= deps.maxDeliver) {
      const letter = { reason, failedChannels: failures.map((f) => f.channel), msgId: event.eventId };
      await deadLetter(msg, log, letter, "max_deliver", errorOf(failures));
      return;
    }
    retryLater(msg, log, reason, errorOf(failures));
  };

  function retryLater(msg: JsMsg, log: Logger, reason: string, err?: unknown): void {
    const attempt = msg.info.deliveryCount;
    if (attempt >= deps.maxDeliver) return;
    const delayMs = redeliveryDelayMs(attempt, deps.backoffBaseMs);
    msg.nak(delayMs);
    metrics.retries.inc();
    log.warn(
      { err, reason, retryInMs: delayMs, maxDeliver: deps.maxDeliver },
      "delivery failed, retry scheduled",
    );
  }

  async function deliverAll(event: TransactionCommitted, log: Logger): Promise<ChannelFailure[]> {
    const results = await Promise.all(deps.channels.map((channel) => deliverOn(channel, event, log)));
    return results.filter((r): r is ChannelFailure => r !== undefined);
  }

  async function deliverOn(
    channel: DeliveryChannel,
    event: TransactionCommitted,
    log: Logger,
  ): Promise<ChannelFailure | undefined> {
    let claim: Awaited<ReturnType<DeliveryRecords["claim"]>>;
    try {
      claim = await deps.records.claim(event.eventId, channel.name);
    } catch (err) {
      return {
        channel: channel.name,
        reason: `delivery records unavailable: ${(err as Error).message}`,
        err,
      };
    }
    if (claim.status === "done") {
      metrics.deliveries.inc({ channel: channel.name, outcome: "duplicate" });
      log.debug({ channel: channel.name }, "already delivered, not sending again");
      return undefined;
    }
    if (claim.status === "busy") {
      metrics.deliveries.inc({ channel: channel.name, outcome: "in_progress" });
      const until = new Date(claim.until).toISOString();
      return { channel: channel.name, reason: `being delivered by another process (claim until ${until})` };
    }
    const stopTimer = metrics.deliveryDuration.startTimer({ channel: channel.name });
    let outcome: DeliveryOutcome;
    try {
      outcome = await channel.deliver(event, log);
    } catch (err) {
      stopTimer();
      await claim.release();
      metrics.deliveries.inc({ channel: channel.name, outcome: "failed" });
      return { channel: channel.name, reason: (err as Error).message, err };
    }
    stopTimer();
    metrics.deliveries.inc({ channel: channel.name, outcome });
    try {
      await claim.complete(outcome);
    } catch (err) {
      // Sent but not recorded: the retry sends again, with the same webhook-id / Message-ID.
      return {
        channel: channel.name,
        reason: `delivered, record not written: ${(err as Error).message}`,
        err,
      };
    }
    return undefined;
  }

  async function deadLetter(
    msg: JsMsg,
    log: Logger,
    letter: Parameters<typeof publishDeadLetter>[2],
    cause: "undecodable" | "max_deliver",
    err?: unknown,
  ): Promise<boolean> {
    try {
      await publishDeadLetter(deps.js, msg, letter);
    } catch (publishErr) {
      // Before the last delivery the message is retried; after it the stream keeps the
      // message unacked (no longer redelivered, the server emits a MAX_DELIVERIES
      // advisory) and this error and metric make it visible.
      metrics.deadLetterFailures.inc();
      log.error({ err: publishErr, reason: letter.reason }, "dead letter could not be published");
      return false;
    }
    // term() without a reason: servers before 2.11 ignore a TERM that carries one.
    msg.term();
    metrics.deadLetters.inc({ cause });
    log.error(
      { err, reason: letter.reason, failedChannels: letter.failedChannels, cause },
      "moved to dead-letter stream",
    );
    return true;
  }
}
