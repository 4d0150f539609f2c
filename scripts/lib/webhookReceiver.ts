import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One POST the receiver got, with how it answered. */
export interface ReceivedWebhook {
  receivedAt: number;
  headers: IncomingHttpHeaders;
  webhookId: string;
  body: string;
  /** The parsed body (null if it was not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: webhook bodies are read as arbitrary JSON
  json: any;
  /** The Standard Webhooks signature checked out against the receiver's secret. */
  signatureValid: boolean;
  /** The HTTP status the receiver answered with. */
  status: number;
}

/** Decides the answer to a delivery: an HTTP status, optionally after a delay. */
export type WebhookBehaviour = (delivery: Omit<ReceivedWebhook, "status">) => {
  status: number;
  delayMs?: number;
};

/** A local endpoint standing in for a customer's webhook URL. */
export interface WebhookReceiver {
  url: string;
  /** The `whsec_` secret the notifier must sign with. */
  secret: string;
  /** Deliveries answered so far, in the order they were answered. */
  received: ReceivedWebhook[];
  /** Deliveries that arrived, answered or not yet. */
  arrivals(): number;
  /** Deliveries answered with a 2xx (the notifier counts them as delivered). */
  delivered(): ReceivedWebhook[];
  setBehaviour(behaviour: WebhookBehaviour): void;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 that verifies every signature and answers 204 unless told otherwise. */
export async function startWebhookReceiver(
  behaviour: WebhookBehaviour = () => ({ status: 204 }),
): Promise<WebhookReceiver> {
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  const verifier = new Webhook(secret);
  let answer = behaviour;
  const received: ReceivedWebhook[] = [];
  let arrivals = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      arrivals++;
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
      const delivery = {
        receivedAt: Date.now(),
        headers: req.headers,
        webhookId: header("webhook-id"),
        body,
        json,
        signatureValid,
      };
      const { status, delayMs = 0 } = answer(delivery);
      setTimeout(() => {
        received.push({ ...delivery, status });
        res.writeHead(status, { "content-type": "text/plain" }).end(String(status));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/wallet`,
    secret,
    received,
    arrivals: () => arrivals,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
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
