import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DLQ_STREAM, EVENTS_STREAM, ensureWalletStreams } from "@wallet/runtime";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ServiceProcess,
  spawnService,
  tail,
  waitUntilReady,
} from "../../../test/e2e/support/serviceProcess.js";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { freePort } from "../../../test/support/ports.js";
import { DEAD_LETTER_SUBJECT, DELIVERY_BUCKET } from "../src/index.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import { WEBHOOK_SECRET, waitUntil } from "./support/harness.js";
import { type StallProxy, startStallProxy } from "./support/stallProxy.js";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhookReceiver.js";

/**
 * Every committed event ends delivered (recorded, 2xx at the receiver) or dead-lettered
 * once, whatever happens to the last permitted delivery: a stalled link, a SIGKILL of
 * the notifier, a SIGKILL + restart of nats-server, a SIGTERM that outlasts the grace.
 * The notifier runs as a child process behind a TCP proxy that can stall server->client
 * bytes; this test's own connection to NATS bypasses the proxy and watches, server-side,
 * every delivery (pull replies on `_INBOX.>`), every ack/nak (`$JS.ACK.>`) and the
 * consumer advisories.
 */
const MAX = 4;
const BASE_MS = 1_000;
const CONSUMER = "notifier";

type Role = "ok" | "flaky" | "dead" | "kill" | "natsKill" | "termPastGrace";

interface Delivery {
  seq: number;
  deliveryCount: number;
  at: number;
}
interface AckSeen {
  seq: number;
  kind: string;
  delayMs?: number;
  at: number;
}

describe("notifier faults", () => {
  let nats: TestNats | undefined;
  let proxy: StallProxy | undefined;
  let receiver: WebhookReceiver | undefined;
  let nc: NatsConnection | undefined;
  let notifier: ServiceProcess | undefined;

  afterAll(async () => {
    await notifier?.stop("SIGKILL");
    await nc?.close().catch(() => {});
    await receiver?.close();
    await proxy?.close();
    await nats?.destroy();
  });

  it("faults - stalled link, notifier SIGKILL, NATS SIGKILL, SIGTERM past the grace: each event delivered or dead-lettered once", async () => {
    nats = await startNats();
    proxy = await startStallProxy(nats.port);
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await ensureWalletStreams(jsm, 1);
    const js = jetstream(nc);

    // Server-side view of the consumer: deliveries, acks/naks, advisories.
    const deliveries: Delivery[] = [];
    const acks: AckSeen[] = [];
    const advisories: string[] = [];
    nc.subscribe("_INBOX.>", {
      callback: (_err, msg) => {
        const t = msg.reply?.split(".");
        if (!t || t[0] !== "$JS" || t[1] !== "ACK") return;
        const v2 = t.length >= 12;
        if ((v2 ? t[5] : t[3]) !== CONSUMER) return;
        deliveries.push({
          deliveryCount: Number(v2 ? t[6] : t[4]),
          seq: Number(v2 ? t[7] : t[5]),
          at: Date.now(),
        });
      },
    });
    nc.subscribe(`$JS.ACK.${EVENTS_STREAM}.${CONSUMER}.>`, {
      callback: (_err, msg) => {
        const t = msg.subject.split(".");
        const seq = Number(t.length >= 12 ? t[7] : t[5]);
        const body = msg.string();
        const kind = body.split(" ")[0];
        const delay = kind === "-NAK" && body.length > 4 ? JSON.parse(body.slice(5)).delay : undefined;
        acks.push({ seq, kind, delayMs: delay === undefined ? undefined : delay / 1e6, at: Date.now() });
      },
    });
    nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${EVENTS_STREAM}.${CONSUMER}`, {
      callback: (_err, msg) => advisories.push(msg.string()),
    });

    // The receiver answers per event id by its role; arrivals are counted per event.
    const roles = new Map<string, Role>();
    const arrivals = new Map<string, number[]>();
    const faultWindows: Array<[number, number]> = [];
    const hooks = new Map<string, (n: number) => { status: number; delayMs?: number } | undefined>();
    receiver = await startWebhookReceiver((_i, req) => {
      const id = String(req.headers["webhook-id"]);
      const seen = arrivals.get(id) ?? [];
      seen.push(req.receivedAt);
      arrivals.set(id, seen);
      const n = seen.length;
      const hooked = hooks.get(id)?.(n);
      if (hooked) return hooked;
      switch (roles.get(id)) {
        case "ok":
          return { status: 204 };
        case "flaky":
          return { status: n < MAX ? 500 : 200 };
        default:
          return { status: 500 };
      }
    });

    const adminPort = await freePort();
    const startNotifier = async () => {
      const service = spawnService("notifier", {
        DEV_MODE: "true",
        NATS_URL: proxy!.url,
        LOG_LEVEL: "info",
        NOTIFIER_ADMIN_HOST: "127.0.0.1",
        NOTIFIER_ADMIN_PORT: String(adminPort),
        NOTIFIER_CHANNELS: "webhook",
        NOTIFIER_WEBHOOK_URL: receiver!.url,
        NOTIFIER_WEBHOOK_SECRET: WEBHOOK_SECRET,
        NOTIFIER_WEBHOOK_TIMEOUT_MS: "3000",
        NOTIFIER_MAX_DELIVER: String(MAX),
        NOTIFIER_BACKOFF_BASE_MS: String(BASE_MS),
        SHUTDOWN_GRACE_MS: "1000",
      });
      notifier = service;
      await waitUntilReady(service, `http://127.0.0.1:${adminPort}/readyz`);
      return service;
    };
    await startNotifier();

    const publish = async (role: Role) => {
      const ev = transactionCommitted();
      roles.set(ev.eventId, role);
      await publishEvent(js, ev);
      return ev.eventId;
    };

    // Phase 1: plain traffic and retries; the link stalls for 4 s from about 1 s before the
    // last attempts of the failing events are due.
    for (let i = 0; i < 8; i++) await publish("ok");
    const flaky = [await publish("flaky"), await publish("flaky"), await publish("flaky")];
    const dead = [await publish("dead"), await publish("dead"), await publish("dead")];
    await waitUntil("third attempts", () => (arrivals.get(flaky[0])?.length ?? 0) >= MAX - 1, 20_000);
    const lastDue = arrivals.get(flaky[0])![MAX - 2] + BASE_MS * 2 ** (MAX - 2);
    await new Promise((r) => setTimeout(r, Math.max(0, lastDue - 1_000 - Date.now())));
    const stallAt = Date.now();
    await proxy.stall(4_000);
    faultWindows.push([stallAt, Date.now() + 500]);

    // Phase 2: SIGKILL of the notifier while its last attempt of an event is in flight.
    const killed = await publish("kill");
    let killedAt = 0;
    const restartedAfterKill = new Promise<void>((resolve, reject) => {
      hooks.set(killed, (n) => {
        if (n !== MAX) return undefined;
        setTimeout(() => {
          killedAt = Date.now();
          notifier!.signal("SIGKILL");
          void notifier!.exited.then(startNotifier).then(() => resolve(), reject);
        }, 300);
        return { status: 500, delayMs: 2_000 };
      });
    });
    await restartedAfterKill;
    faultWindows.push([killedAt, Date.now() + 500]);

    // Phase 3: SIGKILL of nats-server just after a last delivery went out, restart 1 s later.
    const natsKilled = await publish("natsKill");
    let natsKilledAt = 0;
    const natsBack = new Promise<void>((resolve, reject) => {
      hooks.set(natsKilled, (n) => {
        if (n !== MAX) return undefined;
        natsKilledAt = Date.now();
        void (async () => {
          await nats!.stop("SIGKILL");
          await new Promise((r) => setTimeout(r, 1_000));
          await nats!.restart();
        })().then(resolve, reject);
        return { status: 500, delayMs: 50 };
      });
    });
    await natsBack;
    await waitUntil("test connection back", () => !nc!.isClosed() && nc!.info !== undefined, 10_000);
    await waitUntil(
      "JetStream back",
      async () => (await jsm.streams.info(EVENTS_STREAM).catch(() => undefined)) !== undefined,
      15_000,
    );
    faultWindows.push([natsKilledAt, Date.now() + 3_000]);

    // Phase 4: SIGTERM while the last attempt of an event outlasts the 1 s grace.
    const termed = await publish("termPastGrace");
    let termAt = 0;
    const restartedAfterTerm = new Promise<void>((resolve, reject) => {
      hooks.set(termed, (n) => {
        if (n !== MAX) return undefined;
        setTimeout(() => {
          termAt = Date.now();
          notifier!.signal("SIGTERM");
          void notifier!.exited.then(startNotifier).then(() => resolve(), reject);
        }, 200);
        return { status: 500, delayMs: 2_500 };
      });
    });
    await restartedAfterTerm;
    faultWindows.push([termAt, Date.now() + 500]);

    // Every event resolved: delivered (2xx, recorded) or dead-lettered; nothing left pending.
    const ids = [...roles.keys()];
    const failing = ids.filter((id) => !["ok", "flaky"].includes(roles.get(id)!));
    const dlqIds = async () => {
      const info = await jsm.streams.info(DLQ_STREAM);
      const out: string[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(DLQ_STREAM, { seq }).catch(() => null);
        if (m?.subject === DEAD_LETTER_SUBJECT) out.push(String(m.header.get("Nats-Msg-Id")));
      }
      return out;
    };
    const settled = async () => {
      const info = await jsm.consumers.info(EVENTS_STREAM, CONSUMER).catch(() => undefined);
      return (
        info !== undefined &&
        info.num_pending === 0 &&
        info.num_ack_pending === 0 &&
        (await dlqIds()).length >= failing.length
      );
    };
    await waitUntil("every event resolved", settled, 25_000).catch(() => undefined);

    const kv = await new Kvm(nc).open(DELIVERY_BUCKET);
    const recorded = new Set<string>();
    for (const id of ids) {
      const entry = await kv.get(`${CONSUMER}.webhook.e.${id}`);
      if (entry?.operation === "PUT" && (entry.json() as { outcome?: string }).outcome === "delivered") {
        recorded.add(id);
      }
    }
    const answered2xx = new Set(
      receiver
        .answered()
        .filter((r) => r.status >= 200 && r.status < 300)
        .map((r) => String(r.headers["webhook-id"])),
    );
    const dlq = await dlqIds();
    const outcome = (id: string) =>
      `${roles.get(id)}: ${recorded.has(id) && answered2xx.has(id) ? "delivered" : ""}${dlq.filter((d) => d === id).length ? `dlq x${dlq.filter((d) => d === id).length}` : ""}`;
    const expected = (id: string) =>
      `${roles.get(id)}: ${["ok", "flaky"].includes(roles.get(id)!) ? "delivered" : "dlq x1"}`;
    const diag = `\n${tail(notifier!, 30)}`;
    expect(ids.map(outcome), diag).toEqual(ids.map(expected));
    expect(dlq.sort()).toEqual([...failing].sort());
    const info = await jsm.consumers.info(EVENTS_STREAM, CONSUMER);
    expect({ pending: info.num_pending, ackPending: info.num_ack_pending }).toEqual({
      pending: 0,
      ackPending: 0,
    });
    expect(advisories).toEqual([]);

    // Crash-free failures are retried after BASE, 2·BASE, 4·BASE: the naks carry that
    // delay, and the server's next delivery follows the nak by it (±10%).
    const inFault = (a: number, b: number) => faultWindows.some(([s, e]) => a < e && b > s);
    const gaps: Array<{ expected: number; measured: number }> = [];
    const bySeq = new Map<number, AckSeen[]>();
    for (const a of acks) bySeq.set(a.seq, [...(bySeq.get(a.seq) ?? []), a]);
    for (const [seq, seen] of bySeq) {
      const naks = seen.filter((a) => a.kind === "-NAK" && a.delayMs !== undefined);
      // The doubling schedule of one event's naks.
      naks.forEach((nak, k) => {
        expect(nak.delayMs, `nak ${k + 1} of stream seq ${seq}`).toBe(BASE_MS * 2 ** k);
      });
      for (const nak of naks) {
        const next = deliveries.find((d) => d.seq === seq && d.at > nak.at);
        if (!next || inFault(nak.at, next.at)) continue;
        gaps.push({ expected: nak.delayMs!, measured: next.at - nak.at });
      }
    }
    expect(gaps.length).toBeGreaterThanOrEqual(2 * (flaky.length + dead.length));
    for (const g of gaps) {
      expect(Math.abs(g.measured - g.expected), JSON.stringify(g)).toBeLessThanOrEqual(g.expected * 0.1);
    }

    // A SIGKILL costs at most the ack wait: the killed attempt is made again within ack_wait + 1 s.
    const ackWaitMs = Number(info.config.ack_wait) / 1e6;
    const afterKill = arrivals.get(killed)!.find((t) => t > killedAt);
    expect(afterKill, "an attempt after the kill").toBeDefined();
    expect(afterKill! - killedAt).toBeLessThanOrEqual(ackWaitMs + 1_000);
  }, 120_000);
});
