import type { JetStreamClient } from "@nats-io/jetstream";
import { type Logger, REQUEST_ID_HEADER } from "@wallet/runtime";
import { redeliveryDelayMs } from "./backoff.js";
import type { DeliveryChannel, DeliveryOutcome } from "./channels/channel.js";
import type { PulledMessage } from "./consumeLoop.js";
import { publishDeadLetter } from "./deadLetter.js";
import type { DeliveryAttempt, DeliveryClaim, DeliveryRecords } from "./deliveryRecords.js";
import { decodeWalletEvent, UndecodableEventError, type WalletEvent } from "./event.js";
import { createInFlightEvents } from "./inFlightEvents.js";
import type { NotifierMetrics } from "./metrics.js";

export interface DispatchDeps {
  js: JetStreamClient;
  channels: readonly DeliveryChannel[];
  records: DeliveryRecords;
  metrics: NotifierMetrics;
  logger: Logger;
  /** Failed attempts per channel before an event is dead-lettered (NOTIFIER_MAX_DELIVER). */
  maxDeliver: number;
  backoffBaseMs: number;
}

/**
 * Deliveries of one message, failed or not, after which it is dead-lettered whatever
 * its records say: a message that kills or wedges every process handling it (a
 * poison message) must not circulate for ever. Deliveries lost to crashes, stalls and
 * restarts do not count as failed attempts, so this is far above NOTIFIER_MAX_DELIVER.
 */
export function poisonDeliveries(maxDeliver: number): number {
  return 4 * maxDeliver + 20;
}

/** What happened on one channel in one attempt. */
type ChannelResult =
  /** Delivered now or before (or skipped, or dead-lettered before): nothing left to do. */
  | { kind: "done" }
  /** A counted failed attempt, `failures` in all so far. */
  | { kind: "failed"; failures: number; reason: string; err?: unknown }
  /** Out of attempts: dead-letter it. */
  | { kind: "exhausted"; reason: string; poison?: boolean; err?: unknown }
  /** Not attempted or not counted (claimed elsewhere, records unavailable): try again later. */
  | { kind: "later"; reason: string; delayMs: number; err?: unknown };

/** One error for a log line (stack and cause): the failed channel's own, or all of them when several failed. */
function errorOf(results: ChannelResult[]): unknown {
  const errs = results.flatMap((r) => (r.kind === "done" || r.err === undefined ? [] : [r.err]));
  return errs.length <= 1 ? errs[0] : new AggregateError(errs, "several channels failed");
}

/**
 * Builds the per-message routine. An event is delivered on every channel not yet
 * recorded for it, then acked. A failed attempt is counted in the channel's record
 * and the message handed back (nak) with a growing delay; once a channel has failed
 * NOTIFIER_MAX_DELIVER times the event is copied to the dead-letter stream and, after
 * that stream's PubAck, terminated. The server never gives up on a message (the
 * consumer has no max_deliver), so every event ends delivered or dead-lettered.
 * Copies of one event are handled one after the other, never at once.
 */
export function createDispatcher(deps: DispatchDeps): (msg: PulledMessage) => Promise<void> {
  const { metrics } = deps;
  const inFlight = createInFlightEvents();
  const poison = poisonDeliveries(deps.maxDeliver);
  const delayAfter = (failures: number) => redeliveryDelayMs(failures, deps.backoffBaseMs);

  return async (msg) => {
    const delivery: DeliveryAttempt = {
      streamSeq: msg.info.streamSequence,
      deliveryCount: msg.info.deliveryCount,
    };
    const requestId = msg.headers?.get(REQUEST_ID_HEADER) || undefined;
    const bindings = { requestId, streamSeq: delivery.streamSeq, delivery: delivery.deliveryCount };
    if (delivery.deliveryCount > 1) metrics.redeliveries.inc();

    let event: WalletEvent;
    try {
      event = decodeWalletEvent(msg.subject, msg.data);
    } catch (err) {
      if (!(err instanceof UndecodableEventError)) throw err;
      const msgId = msg.headers?.get("Nats-Msg-Id") || `${msg.info.stream}-${delivery.streamSeq}`;
      const log = deps.logger.child(bindings);
      await deadLetter(msg, log, { reason: err.message, failedChannels: [], msgId }, "undecodable", [], err);
      return;
    }
    const log = deps.logger.child({ ...bindings, eventId: event.eventId });

    let waited = false;
    const results = await inFlight.run(
      event.eventId,
      async () => {
        // Waiting for the other copy used up part of this one's ack wait.
        if (waited) msg.working();
        return Promise.all(deps.channels.map((channel) => deliverOn(channel, event, delivery, log)));
      },
      () => {
        waited = true;
        log.debug("another copy of this event is in flight, waiting for it");
      },
    );

    const open = results.flatMap((r, i) => (r.kind === "done" ? [] : [{ channel: deps.channels[i], r }]));
    if (open.length === 0) {
      msg.ack();
      metrics.eventLatency.observe(Math.max(0, Date.now() - msg.info.timestampNanos / 1e6) / 1000);
      return;
    }
    const reason = open.map(({ channel, r }) => `${channel.name}: ${r.reason}`).join("; ");
    const retry = open.filter(({ r }) => r.kind === "failed" || r.kind === "later");
    const overLimit = delivery.deliveryCount >= poison;
    if (retry.length > 0 && !overLimit) {
      const delays = retry.map(({ r }) =>
        r.kind === "failed" ? delayAfter(r.failures) : r.kind === "later" ? r.delayMs : 0,
      );
      const failures = Math.max(0, ...retry.map(({ r }) => (r.kind === "failed" ? r.failures : 0)));
      const delayMs = Math.max(...delays);
      msg.nak(delayMs);
      metrics.retries.inc();
      log.warn(
        {
          err: errorOf(retry.map(({ r }) => r)),
          reason,
          failures,
          retryInMs: delayMs,
          maxDeliver: deps.maxDeliver,
        },
        failures > 0 ? "delivery failed, retry scheduled" : "delivery postponed",
      );
      return;
    }
    // Every channel not done is out of attempts (or the message is a poison message).
    const poisoned = overLimit && open.some(({ r }) => r.kind !== "exhausted" || r.poison);
    const cause = poisoned ? "poison" : "max_deliver";
    const letterReason =
      poisoned && retry.length > 0 ? `delivered ${delivery.deliveryCount} times; ${reason}` : reason;
    await deadLetter(
      msg,
      log,
      { reason: letterReason, failedChannels: open.map(({ channel }) => channel.name), msgId: event.eventId },
      cause,
      open.map(
        ({ channel }) =>
          () =>
            markDeadLettered(channel, event, delivery),
      ),
      errorOf(open.map(({ r }) => r)),
    );
  };

  async function deliverOn(
    channel: DeliveryChannel,
    event: WalletEvent,
    delivery: DeliveryAttempt,
    log: Logger,
  ): Promise<ChannelResult> {
    let claim: DeliveryClaim;
    try {
      claim = await deps.records.claim(event.eventId, channel.name, delivery);
    } catch (err) {
      return {
        kind: "later",
        reason: `delivery records unavailable: ${(err as Error).message}`,
        delayMs: deps.backoffBaseMs,
        err,
      };
    }
    if (claim.status === "done") {
      metrics.deliveries.inc({ channel: channel.name, outcome: "duplicate" });
      log.debug({ channel: channel.name, outcome: claim.outcome }, "already delivered, not sending again");
      return { kind: "done" };
    }
    if (claim.status === "busy") {
      metrics.deliveries.inc({ channel: channel.name, outcome: "in_progress" });
      const until = new Date(claim.until).toISOString();
      return {
        kind: "later",
        reason: `being delivered by another process (claim until ${until})`,
        // Soon, then less often: the holder usually finishes well before its claim lapses.
        delayMs: Math.min(
          redeliveryDelayMs(delivery.deliveryCount, deps.backoffBaseMs),
          Math.max(deps.backoffBaseMs, claim.until - Date.now() + 100),
        ),
      };
    }
    if (claim.failures >= deps.maxDeliver) {
      // Out of attempts (the dead letter did not get through last time): do not send again.
      return { kind: "exhausted", reason: claim.lastError ?? "out of attempts" };
    }
    if (delivery.deliveryCount >= poison) {
      const last = claim.lastError ? `; last failure: ${claim.lastError}` : "";
      return {
        kind: "exhausted",
        poison: true,
        reason: `delivered ${delivery.deliveryCount} times without an outcome (${claim.failures} failed attempts)${last}`,
      };
    }
    const stopTimer = metrics.deliveryDuration.startTimer({ channel: channel.name });
    let outcome: DeliveryOutcome;
    try {
      outcome = await channel.deliver(event, log);
    } catch (err) {
      stopTimer();
      metrics.deliveries.inc({ channel: channel.name, outcome: "failed" });
      const reason = (err as Error).message;
      let failures: number | undefined;
      try {
        failures = await claim.fail(reason);
      } catch (recordErr) {
        log.warn({ err: recordErr, channel: channel.name }, "failed attempt not recorded");
      }
      if (failures === undefined) {
        // Not counted: the claim was taken over, or the records are unavailable.
        return { kind: "later", reason, delayMs: delayAfter(claim.failures + 1), err };
      }
      return failures >= deps.maxDeliver
        ? { kind: "exhausted", reason, err }
        : { kind: "failed", failures, reason, err };
    }
    stopTimer();
    metrics.deliveries.inc({ channel: channel.name, outcome });
    try {
      await claim.complete(outcome);
    } catch (err) {
      // Sent but not recorded: not a failed attempt. The retry sends again, with the same
      // webhook-id / Message-ID, so receivers can tell.
      return {
        kind: "later",
        reason: `delivered, record not written: ${(err as Error).message}`,
        delayMs: deps.backoffBaseMs,
        err,
      };
    }
    return { kind: "done" };
  }

  async function markDeadLettered(
    channel: DeliveryChannel,
    event: WalletEvent,
    delivery: DeliveryAttempt,
  ): Promise<void> {
    const claim = await deps.records.claim(event.eventId, channel.name, delivery);
    if (claim.status === "claimed") await claim.complete("dead_lettered");
  }

  /**
   * Copies the message to the dead-letter stream, records the channels as dead-lettered
   * (so another copy of the event is not dead-lettered again) and terminates the
   * message, in that order. If the dead letter cannot be published the message is
   * handed back with a delay, never left pending: the next delivery tries again.
   */
  async function deadLetter(
    msg: PulledMessage,
    log: Logger,
    letter: Parameters<typeof publishDeadLetter>[2],
    cause: "undecodable" | "max_deliver" | "poison",
    mark: Array<() => Promise<void>>,
    err?: unknown,
  ): Promise<void> {
    try {
      await publishDeadLetter(deps.js, msg, letter);
    } catch (publishErr) {
      metrics.deadLetterFailures.inc();
      const delayMs = delayAfter(deps.maxDeliver);
      log.error(
        { err: publishErr, reason: letter.reason, retryInMs: delayMs },
        "dead letter could not be published, retrying later",
      );
      msg.nak(delayMs);
      return;
    }
    for (const m of mark) {
      // Best effort: a copy arriving later is dead-lettered again under the same
      // Nats-Msg-Id, which the DLQ stream deduplicates within its window.
      await m().catch((err: unknown) => log.warn({ err }, "dead-lettered record not written"));
    }
    msg.term();
    metrics.deadLetters.inc({ cause });
    log.error(
      { err, reason: letter.reason, failedChannels: letter.failedChannels, cause },
      "moved to dead-letter stream",
    );
  }
}
