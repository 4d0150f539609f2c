import type { NotifierConfig } from "../config.js";
import { type DeliveryChannel, withInjectedFailures } from "./channel.js";
import { createEmailChannel } from "./email.js";
import { createLogChannel } from "./log.js";
import { createWebhookChannel } from "./webhook.js";

/** The channels named in NOTIFIER_CHANNELS, each failing NOTIFIER_FAIL_RATE of its attempts. */
export function channelsFromConfig(config: NotifierConfig): DeliveryChannel[] {
  return config.NOTIFIER_CHANNELS.map((name) => {
    const channel =
      name === "webhook"
        ? createWebhookChannel({
            url: config.NOTIFIER_WEBHOOK_URL!,
            secret: config.NOTIFIER_WEBHOOK_SECRET!,
            timeoutMs: config.NOTIFIER_WEBHOOK_TIMEOUT_MS,
          })
        : name === "email"
          ? createEmailChannel({ smtpUrl: config.NOTIFIER_SMTP_URL, from: config.NOTIFIER_EMAIL_FROM })
          : createLogChannel();
    return withInjectedFailures(channel, config.NOTIFIER_FAIL_RATE);
  });
}
