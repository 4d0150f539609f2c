import { type JetStreamClient, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureWalletStreams } from "@wallet/runtime";
import type { Logger } from "pino";

/**
 * The wallet's connection to NATS. It never blocks start-up or money movement:
 * it connects (and reconnects) in the background and reports whether it is usable.
 */
export class NatsLink {
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private connected = false;
  private closed = false;
  private readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly replicas: number,
    private readonly logger: Logger,
    /** NATS credentials (user/pass or token), from natsAuthOptions. */
    private readonly auth: { user?: string; pass?: string; token?: string } = {},
  ) {
    this.ready = this.connectLoop();
  }

  /** The JetStream client while connected with streams in place, else undefined. */
  client(): JetStreamClient | undefined {
    return this.connected ? this.js : undefined;
  }

  /** The connection while connected with streams in place, else undefined. */
  connection(): NatsConnection | undefined {
    return this.connected ? this.nc : undefined;
  }

  isConnected(): boolean {
    return this.connected;
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const nc = await connect({
          servers: this.url,
          ...this.auth,
          name: "wallet",
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: 2000,
        });
        this.nc = nc;
        await ensureWalletStreams(await jetstreamManager(nc), this.replicas);
        this.js = jetstream(nc, { timeout: 5000 });
        this.connected = true;
        this.logger.info({ url: this.url }, "connected to NATS");
        void this.watch(nc);
        return;
      } catch (err) {
        await this.nc?.close().catch(() => {});
        this.nc = undefined;
        if (attempt === 1 || attempt % 30 === 0) {
          this.logger.warn({ err, url: this.url }, "NATS unavailable, events wait in the outbox");
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.connected = false;
        this.logger.warn("NATS disconnected, events wait in the outbox");
      } else if (s.type === "reconnect") {
        this.connected = true;
        this.logger.info("NATS reconnected");
      }
    }
  }

  /** Drains the connection (pending publishes finish) and stops reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    this.connected = false;
    const nc = this.nc;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    await Promise.race([this.ready, new Promise((r) => setTimeout(r, 100))]);
  }
}
