import { type ConfigOf, env, requireSetting, serviceConfig, serviceShape } from "@wallet/runtime";
import { z } from "zod";

/** Delivery channels the notifier knows, in the order they are attempted and reported. */
export const CHANNEL_NAMES = ["log", "webhook", "email"] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

const channelList = z
  .string()
  .default("log")
  .transform((v) => [...new Set(v.split(",").map((s) => s.trim().toLowerCase()))].filter(Boolean))
  .pipe(z.array(z.enum(CHANNEL_NAMES)).min(1, "must name at least one of log, webhook, email"));

const webhookUrl = z
  .string()
  .refine((v) => {
    try {
      return ["http:", "https:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, "must be an http or https URL")
  .optional();

const webhookSecret = z
  .string()
  .refine(
    (v) => v.startsWith("whsec_") && Buffer.from(v.slice("whsec_".length), "base64").length >= 16,
    "must start with whsec_ followed by base64 of at least 16 bytes",
  )
  .optional();

/** Environment variables of the notifier; keys are the variable names (see README). */
export const configShape = {
  ...serviceShape({
    nats: "of the events and the dead-letter stream",
    work: "deliveries",
    minGraceMs: 1_000,
  }),
  NATS_STREAM_REPLICAS: env
    .int(1, 1, 5)
    .describe("replicas of the streams and the KV bucket it creates (3 in a NATS cluster)"),
  NOTIFIER_ADMIN_HOST: env.string("0.0.0.0").describe("bind address of the admin HTTP server"),
  NOTIFIER_ADMIN_PORT: env
    .int(9465, 0, 65_535)
    .describe("port of `/healthz`, `/readyz`, `/metrics` (`0`: any free port)"),
  NOTIFIER_CONSUMER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "must contain only letters, digits, _ and -")
    .default("notifier")
    .describe("durable consumer name: replicas sharing it share work and delivery records"),
  NOTIFIER_CHANNELS: channelList.describe("comma list of `log`, `webhook`, `email`"),
  NOTIFIER_CONCURRENCY: env
    .int(32, 1, 1_000)
    .describe("messages processed at once per replica, and the most it pulls ahead"),
  NOTIFIER_WEBHOOK_URL: webhookUrl.describe("http(s) endpoint; required when `webhook` is enabled"),
  NOTIFIER_WEBHOOK_SECRET: webhookSecret.describe(
    "`whsec_` + base64 key (at least 16 bytes); required when `webhook` is enabled",
  ),
  NOTIFIER_WEBHOOK_TIMEOUT_MS: env
    .int(5_000, 100, 120_000)
    .describe("per-request timeout; a timeout is a failed attempt"),
  NOTIFIER_SMTP_URL: env
    .url("smtp://127.0.0.1:1025", ["smtp:", "smtps:"])
    .describe("SMTP server for the email channel (`smtp:`/`smtps:`, credentials in the URL)"),
  NOTIFIER_EMAIL_FROM: env.string("wallet@localhost").describe("sender address"),
  NOTIFIER_MAX_DELIVER: env
    .int(6, 1, 100)
    .describe("failed attempts on a channel before the event goes to the dead-letter stream"),
  NOTIFIER_BACKOFF_BASE_MS: env
    .int(2_000, 1, 3_600_000)
    .describe("first retry delay; doubles on each further failure (capped at 15 min)"),
  NOTIFIER_ACK_WAIT_MS: env
    .int(10_000, 1_000, 300_000)
    .describe("ack wait: how soon messages held by a dead or stalled process come back"),
  NOTIFIER_FAIL_RATE: env
    .number(0, 0, 1)
    .describe("0..1, share of channel attempts that fail on purpose (demos of retries)"),
};

export type NotifierConfig = ConfigOf<typeof configShape>;

const notifierConfig = serviceConfig(configShape, { rules: [checkWebhookChannel] });

/**
 * Reads and validates the notifier's environment once. Throws a ConfigError naming
 * the variable when one is malformed, when the webhook channel is enabled
 * without its URL or secret, or when NATS credentials are missing outside DEV_MODE.
 */
export const loadNotifierConfig: (source?: NodeJS.ProcessEnv) => NotifierConfig = notifierConfig.load;

/** What of the development defaults this configuration uses (logged at start in DEV_MODE). */
export const notifierDevDefaults = notifierConfig.devDefaultsInUse;

/** The webhook channel needs its endpoint and its signing secret. */
function checkWebhookChannel(config: NotifierConfig): void {
  if (!config.NOTIFIER_CHANNELS.includes("webhook")) return;
  for (const name of ["NOTIFIER_WEBHOOK_URL", "NOTIFIER_WEBHOOK_SECRET"] as const) {
    requireSetting(config[name], `${name}: required when NOTIFIER_CHANNELS includes webhook`);
  }
}
