import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DLQ_STREAM, EVENTS_STREAM, ensureWalletStreams } from "@wallet/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/lib/ports.js";
import {
  type ServiceProcess,
  spawnService,
  tail,
  waitUntilReady,
} from "../../../scripts/lib/serviceProcess.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../../scripts/lib/webhookReceiver.js";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { waitUntil } from "../../../test/support/wait.js";
import { DEAD_LETTER_SUBJECT, DELIVERY_BUCKET } from "../src/index.js";
import { publishEvent, transactionCommitted } from "./support/events.js";
import { WEBHOOK_SECRET } from "./support/harness.js";
import { type StallProxy, startStallProxy } from "./support/stallProxy.js";

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
  const replicas = new Map<string, ServiceProcess>();
  const restarts: Array<Promise<void>> = [];

  afterAll(async () => {
    await Promise.allSettled(restarts);
    for (const r of replicas.values()) await r.stop("SIGKILL");
    await nc?.close().catch(() => {});
    await receiver?.close();
    await proxy?.close();
    await nats?.destroy();
  }, 180_000);

  const T0 = Date.now();
  const mark = (what: string) =>
    process.env.FAULTS_DEBUG && console.log(`${((Date.now() - T0) / 1000).toFixed(1)}s ${what}`);
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
        if (t?.[0] !== "$JS" || t[1] !== "ACK") return;
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
      callback: (_err, msg) => {
        advisories.push(msg.string());
      },
    });

    // The receiver answers per event id by its role; arrivals are counted per event.
    const roles = new Map<string, Role>();
    const arrivals = new Map<string, number[]>();
    const faultWindows: Array<[number, number]> = [];
    const lastSender = new Map<string, string>();
    const hooks = new Map<string, (n: number) => { status: number; delayMs?: number } | undefined>();
    receiver = await startWebhookReceiver((req) => {
      const id = String(req.headers["webhook-id"]);
      lastSender.set(id, new URL(req.url, "http://x").searchParams.get("replica") ?? "");
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

    // Two replicas share the consumer; the webhook URL tells which one sent a request.
    let started = 0;
    const startNotifier = async () => {
      const label = `n${++started}`;
      const adminPort = await freePort();
      const service = spawnService("notifier", {
        DEV_MODE: "true",
        NATS_URL: proxy!.url,
        LOG_LEVEL: "info",
        NOTIFIER_ADMIN_HOST: "127.0.0.1",
        NOTIFIER_ADMIN_PORT: String(adminPort),
        NOTIFIER_CHANNELS: "webhook",
        NOTIFIER_WEBHOOK_URL: `${receiver!.url}?replica=${label}`,
        NOTIFIER_WEBHOOK_SECRET: WEBHOOK_SECRET,
        NOTIFIER_WEBHOOK_TIMEOUT_MS: "3000",
        NOTIFIER_MAX_DELIVER: String(MAX),
        NOTIFIER_BACKOFF_BASE_MS: String(BASE_MS),
        SHUTDOWN_GRACE_MS: "1000",
      });
      replicas.set(label, service);
      // Generous: starting from TypeScript sources is slow on a busy machine.
      await waitUntilReady(service, `http://127.0.0.1:${adminPort}/readyz`, 120_000);
    };
    await Promise.all([startNotifier(), startNotifier()]);
    const signalledAt = new Map<string, number>();

    const seqOf = new Map<string, number>();
    const publish = async (role: Role) => {
      const ev = transactionCommitted();
      roles.set(ev.eventId, role);
      seqOf.set(ev.eventId, (await publishEvent(js, ev)).seq);
      return ev.eventId;
    };

    // The faults, each triggered by the receiver when an event's last attempt (the MAX-th)
    // arrives. A victim's hook returns the answer to that request.
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
    const fault = (
      role: Role,
      onLastAttempt: () => Promise<void>,
      answer: { status: number; delayMs: number },
    ) => {
      let id = "";
      let at = 0;
      const done = new Promise<void>((resolve, reject) => {
        const ev = transactionCommitted();
        id = ev.eventId;
        hooks.set(id, (n) => {
          if (n !== MAX) return undefined;
          at = Date.now();
          mark(`${role} fault`);
          onLastAttempt().then(resolve, reject);
          return answer;
        });
        roles.set(id, role);
        publishEvent(js, ev).then((ack) => seqOf.set(ev.eventId, ack.seq), reject);
      });
      return {
        id: () => id,
        at: () => at,
        done: done.then(() => {
          mark(`${role} fault over`);
          faultWindows.push([at, Date.now() + 500]);
        }),
      };
    };
    /** Signals the replica that sent the victim's last attempt; a replacement starts meanwhile. */
    const signalSender = async (id: string, signal: NodeJS.Signals, afterMs: number) => {
      const replica = replicas.get(lastSender.get(id)!)!;
      await sleep(afterMs);
      signalledAt.set(id, Date.now());
      replica.signal(signal);
      restarts.push(replica.exited.then(() => startNotifier()));
    };

    // 1. Plain traffic and retries; the link stalls for 4 s from about 1 s before the
    //    last attempts of the failing events are due.
    for (let i = 0; i < 8; i++) await publish("ok");
    const flaky = [await publish("flaky"), await publish("flaky"), await publish("flaky")];
    const dead = [await publish("dead"), await publish("dead"), await publish("dead")];
    const stalled = (async () => {
      await waitUntil("third attempts", () => (arrivals.get(flaky[0])?.length ?? 0) >= MAX - 1, 20_000);
      const lastDue = arrivals.get(flaky[0])![MAX - 2] + BASE_MS * 2 ** (MAX - 2);
      await sleep(lastDue - 1_000 - Date.now());
      const stallAt = Date.now();
      mark("stall");
      await proxy!.stall(4_000);
      faultWindows.push([stallAt, Date.now() + 500]);
    })();
    await sleep(3_000);
    // 2. SIGKILL of the replica whose last attempt of an event is in flight (the receiver
    //    holds the answer); the other replica takes the redelivery.
    const kill = fault("kill", () => signalSender(kill.id(), "SIGKILL", 300), {
      status: 500,
      delayMs: 2_000,
    });
    await stalled;
    await kill.done;
    // Pull requests the killed replica left open at the server would swallow (until the ack
    // wait) what is published before they expire: a delay the next faults need not have.
    await sleep(3_500);
    // 3. SIGKILL of nats-server just after a last delivery went out, restart 1 s later.
    const natsKill = fault(
      "natsKill",
      async () => {
        await nats!.stop("SIGKILL");
        await sleep(1_000);
        await nats!.restart();
      },
      { status: 500, delayMs: 50 },
    );
    await sleep(3_500);
    // 4. SIGTERM while the last attempt of an event outlasts the 1 s grace, then a restart.
    const term = fault("termPastGrace", () => signalSender(term.id(), "SIGTERM", 200), {
      status: 500,
      delayMs: 2_500,
    });
    await natsKill.done;
    await term.done;
    const killed = kill.id();
    const killedAt = signalledAt.get(killed)!;
    mark("faults over");

    mark("// Every event resol");
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

    mark("const kv = await new");
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
    const diag = [...replicas].map(([label, r]) => `\n${label}:\n${tail(r, 20)}`).join("");
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
    const crashFree = new Set([...flaky, ...dead].map((id) => seqOf.get(id)));
    for (const [seq, seen] of bySeq) {
      if (!crashFree.has(seq)) continue;
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
    mark(JSON.stringify(gaps));
    expect(gaps.length).toBeGreaterThanOrEqual(2 * (flaky.length + dead.length));
    for (const g of gaps) {
      expect(Math.abs(g.measured - g.expected), JSON.stringify(g)).toBeLessThanOrEqual(g.expected * 0.1);
    }

    mark("// A SIGKILL costs");
    // A SIGKILL costs at most the ack wait: the server hands the killed attempt out again
    // within ack_wait + 1 s of the kill, and the surviving replica makes it.
    const ackWaitMs = Number(info.config.ack_wait) / 1e6;
    const redelivered = deliveries.find((d) => d.seq === seqOf.get(killed) && d.at > killedAt);
    const afterKill = arrivals.get(killed)!.find((t) => t > killedAt);
    expect(redelivered, "a delivery after the kill").toBeDefined();
    expect(afterKill, "an attempt after the kill").toBeDefined();
    mark(
      `SIGKILL -> redelivery ${redelivered!.at - killedAt} ms, next attempt at the receiver ${afterKill! - killedAt} ms (ack wait ${ackWaitMs} ms)`,
    );
    expect(redelivered!.at - killedAt).toBeLessThanOrEqual(ackWaitMs + 1_000);
  }, 300_000);
});
