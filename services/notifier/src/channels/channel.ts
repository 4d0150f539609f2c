import type { Logger } from "@wallet/runtime";
import type { ChannelName } from "../config.js";
import type { WalletEvent } from "../event.js";

/** `delivered` sent something; `skipped` had nothing to send (e.g. no email address) and counts as done. */
export type DeliveryOutcome = "delivered" | "skipped";

/** One way of telling the outside world about a committed transaction or a hold change. */
export interface DeliveryChannel {
  readonly name: ChannelName;
  /** Resolves once the receiver accepted the notification; rejects with the reason otherwise. */
  deliver(event: WalletEvent, log: Logger): Promise<DeliveryOutcome>;
  close?(): Promise<void>;
}

/** A delivery attempt that failed; `message` is the reason recorded in logs and dead letters. */
export class DeliveryFailedError extends Error {
  override name = "DeliveryFailedError";
}

/**
 * Wraps a channel so that a share of attempts fail before sending anything
 * (NOTIFIER_FAIL_RATE), to demonstrate retries and dead letters.
 */
export function withInjectedFailures(channel: DeliveryChannel, rate: number): DeliveryChannel {
  if (rate <= 0) return channel;
  return {
    name: channel.name,
    deliver: (event, log) =>
      Math.random() < rate
        ? Promise.reject(new DeliveryFailedError(`injected failure (NOTIFIER_FAIL_RATE=${rate})`))
        : channel.deliver(event, log),
    close: channel.close?.bind(channel),
  };
}
