import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  receivedAt: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The HTTP status the receiver answered with. */
  status: number;
}

/** What the receiver answers to its n-th request (0-based): a status, after an optional delay. */
export type WebhookBehaviour = (
  index: number,
  request: { headers: IncomingHttpHeaders; receivedAt: number; url: string },
) => { status: number; delayMs?: number };

/** A local HTTP server recording every webhook POST and answering as told. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Requests whose answer has been fully sent. */
  answered(): ReceivedWebhook[];
  setBehaviour(b: WebhookBehaviour): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(
  initial: WebhookBehaviour = () => ({ status: 204 }),
): Promise<WebhookReceiver> {
  let behaviour = initial;
  const received: ReceivedWebhook[] = [];
  const done = new Set<ReceivedWebhook>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const receivedAt = Date.now();
      const { status, delayMs = 0 } = behaviour(received.length, {
        headers: req.headers,
        receivedAt,
        url: req.url ?? "",
      });
      const record = {
        receivedAt,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        status,
      };
      received.push(record);
      setTimeout(() => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(String(status), () => done.add(record));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/wallet`,
    received,
    answered: () => received.filter((r) => done.has(r)),
    setBehaviour: (b) => {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
