import { ConfigError } from "@wallet/runtime";
import { describe, expect, it } from "vitest";
import { loadNotifierConfig, notifierDevDefaults } from "./config.js";

const SECRET = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
// NATS without credentials is a development default.
const DEV = { DEV_MODE: "true" };

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadNotifierConfig({ ...DEV, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a configuration error");
}

describe("notifier config", () => {
  it("config - starts with local defaults in DEV_MODE when nothing else is set", () => {
    const c = loadNotifierConfig(DEV);
    expect(c.NATS_URL).toBe("nats://127.0.0.1:4222");
    expect(c.NOTIFIER_CHANNELS).toEqual(["log"]);
    expect(c.NOTIFIER_ADMIN_PORT).toBe(9465);
    expect(c.NOTIFIER_MAX_DELIVER).toBe(6);
    expect(c.NOTIFIER_BACKOFF_BASE_MS).toBe(2000);
    expect(c.NOTIFIER_FAIL_RATE).toBe(0);
    expect(c.SHUTDOWN_GRACE_MS).toBe(25_000);
  });

  it("config - parses a channel list with webhook settings", () => {
    const c = loadNotifierConfig({
      ...DEV,
      NOTIFIER_CHANNELS: " webhook, email ,log,webhook",
      NOTIFIER_WEBHOOK_URL: "https://hooks.example.test/wallet",
      NOTIFIER_WEBHOOK_SECRET: SECRET,
      NOTIFIER_FAIL_RATE: "0.25",
    });
    expect(c.NOTIFIER_CHANNELS).toEqual(["webhook", "email", "log"]);
    expect(c.NOTIFIER_FAIL_RATE).toBe(0.25);
  });

  it("config - NATS credentials: required without DEV_MODE, complete when given", () => {
    expect(() => loadNotifierConfig({})).toThrow("NATS_USER and NATS_PASSWORD (or NATS_TOKEN) are required");
    expect(loadNotifierConfig({ NATS_USER: "notifier", NATS_PASSWORD: "pw" }).NATS_USER).toBe("notifier");
    expect(loadNotifierConfig({ NATS_TOKEN: "t" }).NATS_TOKEN).toBe("t");
    expect(failure({ NATS_USER: "notifier" })).toContain("NATS_USER and NATS_PASSWORD must be set together");
    expect(failure({ NATS_USER: "n", NATS_PASSWORD: "p", NATS_TOKEN: "t" })).toContain("not both");
  });

  it("config - names NATS without credentials as its development default, and nothing once they are set", () => {
    expect(notifierDevDefaults(loadNotifierConfig(DEV))).toEqual(["NATS without credentials"]);
    expect(notifierDevDefaults(loadNotifierConfig({ NATS_TOKEN: "t" }))).toEqual([]);
  });

  it("config - webhook without URL or secret fails naming the variable", () => {
    expect(failure({ NOTIFIER_CHANNELS: "webhook", NOTIFIER_WEBHOOK_SECRET: SECRET })).toContain(
      "NOTIFIER_WEBHOOK_URL",
    );
    expect(
      failure({ NOTIFIER_CHANNELS: "log,webhook", NOTIFIER_WEBHOOK_URL: "http://127.0.0.1:1/" }),
    ).toContain("NOTIFIER_WEBHOOK_SECRET");
  });

  it("config - malformed values fail naming the variable", () => {
    expect(failure({ NOTIFIER_CHANNELS: "log,sms" })).toContain("NOTIFIER_CHANNELS");
    expect(failure({ NOTIFIER_CHANNELS: "," })).toContain("NOTIFIER_CHANNELS");
    expect(failure({ NOTIFIER_WEBHOOK_SECRET: "not-a-secret" })).toContain("NOTIFIER_WEBHOOK_SECRET");
    expect(failure({ NOTIFIER_WEBHOOK_URL: "ftp://x" })).toContain("NOTIFIER_WEBHOOK_URL");
    expect(failure({ NOTIFIER_FAIL_RATE: "1.5" })).toContain("NOTIFIER_FAIL_RATE");
    expect(failure({ NOTIFIER_MAX_DELIVER: "0" })).toContain("NOTIFIER_MAX_DELIVER");
    expect(failure({ NOTIFIER_ADMIN_PORT: "70000" })).toContain("NOTIFIER_ADMIN_PORT");
    expect(failure({ NOTIFIER_BACKOFF_BASE_MS: "2s" })).toContain("NOTIFIER_BACKOFF_BASE_MS");
    expect(failure({ NATS_URL: "http://127.0.0.1:4222" })).toContain("NATS_URL");
    expect(failure({ NOTIFIER_SMTP_URL: "mail.example" })).toContain("NOTIFIER_SMTP_URL");
    expect(failure({ NOTIFIER_CONSUMER_NAME: "bad.name" })).toContain("NOTIFIER_CONSUMER_NAME");
  });
});
