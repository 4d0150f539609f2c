import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One POST as it arrived. */
export interface WebhookDelivery {
  receivedAt: number;
  headers: IncomingHttpHeaders;
  /** The request path and query, e.g. "/hooks/wallet?replica=a". */
  url: string;
  webhookId: string;
  body: string;
  /** The parsed body (null if it was not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: webhook bodies are read as arbitrary JSON
  json: any;
  /** The Standard Webhooks signature checked out against the receiver's secret. */
  signatureValid: boolean;
}

/** One POST the receiver got, with the status it answers (or answered) with. */
export interface ReceivedWebhook extends WebhookDelivery {
  status: number;
}

/** Decides the answer to the `index`-th delivery (0-based): an HTTP status, optionally after a delay. */
export type WebhookBehaviour = (
  delivery: WebhookDelivery,
  index: number,
) => {
  status: number;
  delayMs?: number;
};

/** A local endpoint standing in for a customer's webhook URL. */
export interface WebhookReceiver {
  url: string;
  /** The `whsec_` secret a notifier must sign with for `signatureValid`. */
  secret: string;
  /** Every delivery in arrival order, including those whose answer is still delayed. */
  received: ReceivedWebhook[];
  /** How many deliveries arrived. */
  arrivals(): number;
  /** Deliveries whose answer has been fully sent, in the order they were answered. */
  answered(): ReceivedWebhook[];
  /** Answered deliveries with a 2xx (a notifier counts them as delivered). */
  delivered(): ReceivedWebhook[];
  setBehaviour(behaviour: WebhookBehaviour): void;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 that checks every signature and answers 204 unless told otherwise. */
export async function startWebhookReceiver(
  behaviour: WebhookBehaviour = () => ({ status: 204 }),
): Promise<WebhookReceiver> {
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  const verifier = new Webhook(secret);
  let answer = behaviour;
  const received: ReceivedWebhook[] = [];
  const answered: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string) => String(req.headers[name] ?? "");
      let signatureValid = true;
      try {
        verifier.verify(body, {
          "webhook-id": header("webhook-id"),
          "webhook-timestamp": header("webhook-timestamp"),
          "webhook-signature": header("webhook-signature"),
        });
      } catch {
        signatureValid = false;
      }
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      const delivery: WebhookDelivery = {
        receivedAt: Date.now(),
        headers: req.headers,
        url: req.url ?? "",
        webhookId: header("webhook-id"),
        body,
        json,
        signatureValid,
      };
      const { status, delayMs = 0 } = answer(delivery, received.length);
      const record = { ...delivery, status };
      received.push(record);
      setTimeout(() => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(String(status), () => answered.push(record));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/wallet`,
    secret,
    received,
    arrivals: () => received.length,
    answered: () => [...answered],
    delivered: () => answered.filter((r) => r.status >= 200 && r.status < 300),
    setBehaviour: (b) => {
      answer = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
