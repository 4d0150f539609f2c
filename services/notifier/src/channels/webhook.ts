import { createHmac } from "node:crypto";
import { eventView } from "../event.js";
import { type DeliveryChannel, DeliveryFailedError } from "./channel.js";

/** Webhook `type` field of the body; receivers switch on it. */
export const WEBHOOK_EVENT_TYPE = "wallet.transaction.committed";

/**
 * Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`,
 * keyed by the base64-decoded part of the `whsec_` secret.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return `v1,${mac}`;
}

/** POSTs the event as signed JSON; only a 2xx answer within the timeout counts as delivered. */
export function createWebhookChannel(opts: {
  url: string;
  secret: string;
  timeoutMs: number;
}): DeliveryChannel {
  return {
    name: "webhook",
    deliver: async (event) => {
      const view = eventView(event);
      const body = JSON.stringify({ type: WEBHOOK_EVENT_TYPE, timestamp: view.occurredAt, data: view });
      const timestamp = Math.floor(Date.now() / 1000);
      let status: number;
      try {
        const res = await fetch(opts.url, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            "webhook-id": event.eventId,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": signWebhook(opts.secret, event.eventId, timestamp, body),
          },
          signal: AbortSignal.timeout(opts.timeoutMs),
          redirect: "manual",
        });
        status = res.status;
        // Drain the body so the keep-alive connection can be reused.
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        const reason =
          (err as Error).name === "TimeoutError" ? `timed out after ${opts.timeoutMs} ms` : errorText(err);
        throw new DeliveryFailedError(`webhook request failed: ${reason}`, { cause: err });
      }
      if (status < 200 || status > 299) throw new DeliveryFailedError(`webhook answered HTTP ${status}`);
      return "delivered";
    },
  };
}

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
