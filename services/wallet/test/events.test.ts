import { randomUUID } from "node:crypto";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TransactionCommitted, TransactionType, type WalletServiceClient } from "@wallet/contracts";
import { EVENTS_STREAM } from "@wallet/runtime";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNats, type TestNats } from "../../../test/support/nats.js";
import { call, readiness, startTestWallet } from "./harness.js";

/** Every message currently in WALLET_EVENTS, decoded, with its headers. */
async function readStream(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const out: Array<{ event: TransactionCommitted; msgId: string; requestId: string; contentType: string }> =
    [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq }).catch(() => null);
    if (!m) continue;
    out.push({
      event: TransactionCommitted.decode(m.data),
      msgId: m.header.get("Nats-Msg-Id"),
      requestId: m.header.get("x-request-id"),
      contentType: m.header.get("Content-Type"),
    });
  }
  return out;
}

async function streamCount(nc: NatsConnection): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(EVENTS_STREAM).catch(() => null))?.state.messages ?? 0;
}

/** A counter or gauge from the wallet's /metrics (summed over label sets matching `labels`). */
async function metric(adminPort: number, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, "gm")))
    if (m[1].includes(labels)) total += Number(m[2]);
  return total;
}

async function mutate(c: WalletServiceClient, n: number, prefix = "req") {
  const ownerId = `user-${randomUUID()}`;
  const wallet = (await call(c, c.createWallet, { ownerId, currency: "USD", ownerEmail: "a@example.com" }))
    .wallet!;
  for (let i = 0; i < n; i++) {
    await call(
      c,
      c.credit,
      { ownerId, walletId: wallet.id, amount: 10n, idempotencyKey: randomUUID(), metadata: {} },
      `${prefix}-${i}`,
    );
  }
  return wallet;
}

describe("events - outbox relay to JetStream", () => {
  let nats: TestNats;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.destroy();
  });

  it("relay - N committed mutations give exactly N events with id, correlation and content-type headers", async () => {
    const w = await startTestWallet({ NATS_URL: nats.url });
    try {
      await expect.poll(() => streamCount(nc).then(() => true), { timeout: 5000 }).toBe(true);
      const before = await streamCount(nc);
      const wallet = await mutate(w.client, 12, "relay");
      await expect.poll(() => streamCount(nc), { timeout: 5000 }).toBe(before + 12);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(mine).toHaveLength(12);
      for (const m of mine) {
        expect(m.msgId).toBe(m.event.eventId);
        expect(m.contentType).toContain("wallet.v1.TransactionCommitted");
        expect(m.event).toMatchObject({
          type: TransactionType.TRANSACTION_TYPE_CREDIT,
          amount: 10n,
          currency: "USD",
          ownerEmail: "a@example.com",
        });
      }
      expect(mine.map((m) => m.requestId).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `relay-${i}`).sort(),
      );
      expect(mine.map((m) => m.event.balanceAfter).sort((a, b) => Number(a - b))).toEqual(
        Array.from({ length: 12 }, (_, i) => BigInt((i + 1) * 10)),
      );
    } finally {
      await w.close();
    }
  });

  it("relay - a crash between commit and publish: the sweeper publishes after restart, once", async () => {
    // First process: NATS unreachable, so events stay in the outbox; then it stops.
    const first = await startTestWallet({ NATS_URL: "nats://127.0.0.1:1" });
    const before = await streamCount(nc);
    const wallet = await mutate(first.client, 10, "crash");
    await first.app.stop();
    first.client.close();
    // Second process on the same database, with NATS.
    const second = await startTestWallet(
      { NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "100" },
      first.dbUrl,
    );
    try {
      await expect.poll(() => streamCount(nc), { timeout: 10_000 }).toBe(before + 10);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(new Set(mine.map((m) => m.event.transactionId)).size).toBe(10);
      const ready = await readiness(second.app.adminPort);
      await expect
        .poll(async () => (await readiness(second.app.adminPort)).outboxBacklog, { timeout: 5000 })
        .toBe(0);
      expect(ready.nats).toBe("connected");
    } finally {
      await second.close();
    }
  });

  it("relay - NATS stopped while money moves: every mutation commits, every event arrives after restart", async () => {
    const w = await startTestWallet({ NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "100" });
    try {
      await expect.poll(() => streamCount(nc).then(() => true), { timeout: 5000 }).toBe(true);
      const before = await streamCount(nc);
      await nats.stop();
      const wallet = await mutate(w.client, 15, "outage");
      const detail = await readiness(w.app.adminPort);
      expect(detail).toMatchObject({ status: "ready", nats: "disconnected" });
      expect(detail.outboxBacklog).toBeGreaterThanOrEqual(15);
      const metrics = await (await fetch(`http://127.0.0.1:${w.app.adminPort}/metrics`)).text();
      expect(metrics).toMatch(/nats_connected\{service="wallet"\} 0/);
      await nats.restart();
      await expect
        .poll(() => streamCount(nc).catch(() => -1), { timeout: 20_000, interval: 250 })
        .toBe(before + 15);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(new Set(mine.map((m) => m.event.transactionId)).size).toBe(15);
      expect(mine).toHaveLength(15);
    } finally {
      await w.close();
    }
  });

  it("relay - published rows are deleted once past OUTBOX_RETENTION_HOURS, unpublished ones are kept", async () => {
    const w = await startTestWallet({
      NATS_URL: "nats://127.0.0.1:1",
      OUTBOX_RETENTION_HOURS: "0",
      OUTBOX_PRUNE_INTERVAL_MS: "20",
    });
    const db = new pg.Client({ connectionString: w.dbUrl });
    await db.connect();
    const rows = async () => (await db.query("SELECT count(*)::int AS n FROM outbox")).rows[0].n as number;
    const pruned = async (adminPort: number) => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      return Number(/^outbox_events_pruned_total\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? -1);
    };
    let second: Awaited<ReturnType<typeof startTestWallet>> | undefined;
    try {
      const wallet = await mutate(w.client, 6, "prune");
      // NATS is unreachable, so nothing is published: nothing may go, however old.
      await expect.poll(() => pruned(w.app.adminPort), { timeout: 5000 }).toBe(0);
      await new Promise((r) => setTimeout(r, 200)); // ten prune rounds
      expect(await rows()).toBe(6);
      await w.app.stop();
      // The next process reaches NATS: the sweeper publishes, then the pruner deletes.
      second = await startTestWallet(
        {
          NATS_URL: nats.url,
          OUTBOX_SWEEP_INTERVAL_MS: "50",
          OUTBOX_RETENTION_HOURS: "0",
          OUTBOX_PRUNE_INTERVAL_MS: "20",
        },
        w.dbUrl,
      );
      await expect.poll(rows, { timeout: 10_000 }).toBe(0);
      expect(await pruned(second.app.adminPort)).toBe(6);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(mine).toHaveLength(6);
    } finally {
      await db.end();
      await second?.close();
      w.client.close();
      await w.close();
    }
  });

  it("relay - two replicas sweeping one outbox publish every event once between them", async () => {
    // Events are committed while neither replica can reach NATS, so all of them are left to the sweepers.
    const writer = await startTestWallet({ NATS_URL: "nats://127.0.0.1:1" });
    const wallet = await mutate(writer.client, 60, "replicas");
    await writer.app.stop();
    writer.client.close();
    const replicas = await Promise.all(
      [1, 2].map(() =>
        startTestWallet(
          { NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "50", OUTBOX_BATCH_SIZE: "5" },
          writer.dbUrl,
        ),
      ),
    );
    const published = async (duplicate: "true" | "false") => {
      let total = 0;
      for (const r of replicas) {
        total += await metric(r.app.adminPort, "outbox_events_published_total", `duplicate="${duplicate}"`);
      }
      return total;
    };
    try {
      await expect
        .poll(async () => (await readiness(replicas[0].app.adminPort)).outboxBacklog, { timeout: 15_000 })
        .toBe(0);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(mine).toHaveLength(60);
      // Every event was acked, and the stream above holds each once. The cursor lease keeps one
      // replica publishing; a lease that lapses on a stalled machine, or a PubAck that arrives after
      // its timeout, makes a re-publish that JetStream acks as a duplicate, but never both replicas
      // publishing everything.
      const [first, again] = [await published("false"), await published("true")];
      expect(first + again).toBeGreaterThanOrEqual(60);
      expect(again).toBeLessThan(60);
    } finally {
      await Promise.all(
        replicas.map((r) => {
          r.client.close();
          return r.app.stop();
        }),
      );
      await writer.close();
    }
  });

  it("relay - the cursor not written before a crash: the next holder publishes again and the stream keeps each event once", async () => {
    const first = await startTestWallet({ NATS_URL: nats.url });
    const db = new pg.Client({ connectionString: first.dbUrl });
    let second: Awaited<ReturnType<typeof startTestWallet>> | undefined;
    try {
      await db.connect();
      await expect.poll(() => metric(first.app.adminPort, "outbox_cursor_held"), { timeout: 10_000 }).toBe(1);
      const wallet = await mutate(first.client, 8, "rewind");
      await expect
        .poll(async () => (await readiness(first.app.adminPort)).outboxBacklog, { timeout: 10_000 })
        .toBe(0);
      expect(await metric(first.app.adminPort, "outbox_events_published_total", 'duplicate="false"')).toBe(8);
      await first.app.stop();
      // As if the process had died after the PubAcks and before writing the cursor.
      await db.query("UPDATE outbox_cursor SET xact_id = '1', seq = 0");
      second = await startTestWallet({ NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "50" }, first.dbUrl);
      await expect
        .poll(() => metric(second!.app.adminPort, "outbox_events_published_total", 'duplicate="true"'), {
          timeout: 10_000,
        })
        .toBe(8);
      expect((await readiness(second.app.adminPort)).outboxBacklog).toBe(0);
      const mine = (await readStream(nc)).filter((m) => m.event.walletId === wallet.id);
      expect(mine).toHaveLength(8);
    } finally {
      await db.end();
      await second?.close();
      first.client.close();
      await first.close();
    }
  });

  it("relay - two live replicas: one holds the cursor and publishes the other's events too; when it stops the other takes over", async () => {
    const a = await startTestWallet({ NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "50" });
    const b = await startTestWallet({ NATS_URL: nats.url, OUTBOX_SWEEP_INTERVAL_MS: "50" }, a.dbUrl);
    const replicas = [a, b];
    const held = () => Promise.all(replicas.map((r) => metric(r.app.adminPort, "outbox_cursor_held")));
    try {
      await expect.poll(async () => (await held()).sort().join(), { timeout: 10_000 }).toBe("0,1");
      const holder = replicas[(await held()).indexOf(1)];
      const other = replicas[(await held()).indexOf(0)];
      const w1 = await mutate(holder.client, 5, "holder");
      const w2 = await mutate(other.client, 5, "other");
      const count = async (ids: string[]) =>
        (await readStream(nc)).filter((m) => ids.includes(m.event.walletId)).length;
      await expect.poll(() => count([w1.id, w2.id]), { timeout: 10_000 }).toBe(10);
      // The replica without the cursor published nothing; the holder published each event.
      expect(await metric(other.app.adminPort, "outbox_events_published_total")).toBe(0);
      expect(await metric(holder.app.adminPort, "outbox_events_published_total", 'duplicate="false"')).toBe(
        10,
      );
      await holder.app.stop();
      await expect.poll(() => metric(other.app.adminPort, "outbox_cursor_held"), { timeout: 10_000 }).toBe(1);
      const w3 = await mutate(other.client, 5, "after");
      await expect.poll(() => count([w3.id]), { timeout: 10_000 }).toBe(5);
      expect(await count([w1.id, w2.id])).toBe(10);
      await expect
        .poll(async () => (await readiness(other.app.adminPort)).outboxBacklog, { timeout: 10_000 })
        .toBe(0);
    } finally {
      b.client.close();
      await b.app.stop();
      await a.close();
    }
  });
});
