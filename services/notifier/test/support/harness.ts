import { Writable } from "node:stream";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { ensureWalletStreams } from "@wallet/runtime";
import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { startWebhookReceiver, type WebhookReceiver } from "../../../../scripts/lib/webhookReceiver.js";
import { startNats, type TestNats } from "../../../../test/support/nats.js";
import { loadNotifierConfig, startNotifier } from "../../src/index.js";
import { type SmtpSink, startSmtpSink } from "./smtpSink.js";

export const WEBHOOK_SECRET = `whsec_${Buffer.from("notifier-test-secret-0123456789").toString("base64")}`;

/** A private nats-server plus a client connection for publishing and inspecting. */
export interface NatsFixture {
  nats: TestNats;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function startNatsFixture(): Promise<NatsFixture> {
  const nats = await startNats();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await ensureWalletStreams(jsm, 1);
  return {
    nats,
    nc,
    js: jetstream(nc),
    jsm,
    close: async () => {
      await nc.close();
      await nats.destroy();
    },
  };
}

/** A notifier started in-process on a random admin port, with its log lines captured. */
export interface TestNotifier {
  adminUrl: string;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startTestNotifier(natsUrl: string, env: Record<string, string>): Promise<TestNotifier> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(JSON.parse(line));
      cb();
    },
  });
  const config = loadNotifierConfig({
    NATS_URL: natsUrl,
    DEV_MODE: "true",
    NOTIFIER_ADMIN_HOST: "127.0.0.1",
    NOTIFIER_ADMIN_PORT: "0",
    SHUTDOWN_GRACE_MS: "10000",
    NOTIFIER_WEBHOOK_SECRET: WEBHOOK_SECRET,
    NOTIFIER_WEBHOOK_TIMEOUT_MS: "3000",
    ...env,
  });
  const logger = pino({ level: "debug", base: { service: "notifier" } }, sink);
  const notifier = await startNotifier(config, logger);
  return { adminUrl: `http://127.0.0.1:${notifier.adminPort}`, logs, stop: notifier.stop };
}

/** Waits long enough for a wrongly scheduled redelivery to show up, so tests can assert it did not. */
export function settle(ms = 1_000): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A NATS fixture and a webhook receiver, for notifiers that deliver on the webhook
 * channel only. Whoever starts a notifier stops it, before `close()`.
 */
export interface WebhookFixture {
  fx: NatsFixture;
  receiver: WebhookReceiver;
  /** A notifier delivering to the receiver; `env` adds settings (or overrides these). */
  startNotifier(env?: Record<string, string>): Promise<TestNotifier>;
  close(): Promise<void>;
}

export async function startWebhookFixture(): Promise<WebhookFixture> {
  const fx = await startNatsFixture();
  const receiver = await startWebhookReceiver();
  return {
    fx,
    receiver,
    startNotifier: (env = {}) =>
      startTestNotifier(fx.nats.url, {
        NOTIFIER_CHANNELS: "webhook",
        NOTIFIER_WEBHOOK_URL: receiver.url,
        ...env,
      }),
    close: async () => {
      await receiver.close();
      await fx.close();
    },
  };
}

/** Lines the log channel wrote (one per delivered event). */
export function logChannelLines(logs: Array<Record<string, unknown>>) {
  return logs.filter((l) => l.channel === "log" && l.msg === "transaction committed");
}

/** A NATS fixture with the places a notifier delivers to: a webhook receiver and an SMTP sink. */
export interface Sinks {
  fx: NatsFixture;
  receiver: WebhookReceiver;
  smtp: SmtpSink;
  close(): Promise<void>;
}

export async function startSinks(): Promise<Sinks> {
  const { fx, receiver, close } = await startWebhookFixture();
  const smtp = await startSmtpSink();
  return {
    fx,
    receiver,
    smtp,
    close: async () => {
      await smtp.close();
      await close();
    },
  };
}

/** Notifier settings that deliver on all three channels, to the sinks. */
export function allChannels(sinks: Pick<Sinks, "receiver" | "smtp">): Record<string, string> {
  return {
    NOTIFIER_CHANNELS: "log,webhook,email",
    NOTIFIER_WEBHOOK_URL: sinks.receiver.url,
    NOTIFIER_SMTP_URL: sinks.smtp.url,
    NOTIFIER_EMAIL_FROM: "wallet@example.test",
  };
}

/**
 * For the enclosing describe block: sinks and a notifier delivering to all three
 * channels, started before its tests and stopped after them. The fields are set
 * once the tests run.
 */
export function allChannelsPerSuite(): Sinks & { notifier: TestNotifier } {
  const suite = {} as Sinks & { notifier: TestNotifier };
  beforeAll(async () => {
    Object.assign(suite, await startSinks());
    suite.notifier = await startTestNotifier(suite.fx.nats.url, allChannels(suite));
  });
  afterAll(async () => {
    await suite.notifier?.stop();
    await suite.close?.();
  });
  return suite;
}
