import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/**
 * A TCP proxy between a client and a server (e.g. the notifier and nats-server) that
 * can stall the server -> client direction: bytes from the server are held in the
 * proxy and released, in order, when the stall ends. Client -> server bytes always
 * pass, as on a link whose one direction is congested.
 */
export interface StallProxy {
  url: string;
  port: number;
  /** Holds server -> client bytes for `ms`; resolves when they have been released. */
  stall(ms: number): Promise<void>;
  stalled(): boolean;
  close(): Promise<void>;
}

export async function startStallProxy(upstreamPort: number, upstreamHost = "127.0.0.1"): Promise<StallProxy> {
  let stalled = false;
  const pairs = new Set<{ client: Socket; upstream: Socket; held: Buffer[] }>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, upstreamHost);
    const pair = { client, upstream, held: [] as Buffer[] };
    pairs.add(pair);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (stalled) pair.held.push(chunk);
      else client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stalled: () => stalled,
    stall: async (ms) => {
      stalled = true;
      await new Promise((r) => setTimeout(r, ms));
      stalled = false;
      for (const pair of pairs) {
        for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
