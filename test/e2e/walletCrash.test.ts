import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../support/wait.js";
import { fullHistory, fundedWallet, walletOf } from "../support/wallets.js";
import { type Platform, startPlatform } from "./platform.js";
import { countBy, storedEvents } from "./support/events.js";
import { isSettled, send, startMoneyLoad } from "./support/load.js";

describe("wallet crash - SIGKILL under load", () => {
  let p: Platform;
  const call: Platform["call"] = (...args) => p.call(...args);

  beforeAll(async () => {
    p = await startPlatform({
      gateway: { RATE_LIMIT_MAX: "1000000" },
      wallet: { OUTBOX_SWEEP_INTERVAL_MS: "200" },
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("wallet - killed mid-load and restarted: no wrong balance, one event and one webhook per committed transaction", async () => {
    const token = await p.token("crash-alice");
    const walletId = await fundedWallet(call, token, "USD", 5000);
    const load = startMoneyLoad(call, token, walletId, 8);
    try {
      await waitUntil("load under way", () => load.acknowledged() >= 25, 30_000);
      const killed = p.service("wallet");
      killed.signal("SIGKILL");
      expect((await killed.exited).signal).toBe("SIGKILL");
      await p.start("wallet");
      const beforeRestart = load.acknowledged();
      await waitUntil(
        "load going on after the restart",
        () => load.acknowledged() >= beforeRestart + 25,
        30_000,
      );
    } finally {
      await load.stop();
    }
    const ops = load.operations;
    // The crash cut requests off: those clients saw errors, not wrong answers.
    expect(ops.filter((o) => !isSettled(o)).length).toBeGreaterThan(0);
    expect(ops.filter((o) => ![200, 409, 500, 503, 504, 0].includes(o.status))).toEqual([]);

    // A client in doubt retries with the same key: the wallet applies it at most once.
    for (const op of ops.filter((o) => !isSettled(o))) {
      for (let i = 0; i < 50 && !isSettled(op); i++) {
        await send(call, token, walletId, op);
        if (!isSettled(op)) await new Promise((r) => setTimeout(r, 200));
      }
      expect(isSettled(op)).toBe(true);
    }

    const history = await fullHistory(call, token, walletId);
    const { balance } = await walletOf(call, token, walletId);
    const signed = history.map((t) => (t.type === "credit" ? t.amount : -t.amount));
    expect(balance).toBe(signed.reduce((a, b) => a + b, 0));
    expect(history[0]!.balanceAfter).toBe(balance);

    const applied = new Map(history.filter((t) => t.metadata.op).map((t) => [t.metadata.op!, t]));
    expect(countBy(history.map((t) => t.metadata.op ?? "funding")).get("funding")).toBe(1);
    expect(applied.size).toBe(history.length - 1);
    for (const op of ops) {
      if (op.status === 200) {
        expect(applied.get(op.key)?.id).toBe(op.transactionId);
        expect(applied.get(op.key)?.balanceAfter).toBe(op.balance);
      } else expect([op.status, op.code, applied.has(op.key)]).toEqual([409, "INSUFFICIENT_FUNDS", false]);
    }
    expect(applied.size).toBe(ops.filter((o) => o.status === 200).length);

    const ids = new Set(history.map((t) => t.id));
    const delivered = () => p.webhook.delivered().filter((d) => ids.has(d.json?.data?.transactionId));
    await waitUntil("a webhook for every transaction", () => delivered().length >= ids.size, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const deliveries = delivered();
    expect(new Set(deliveries.map((d) => d.json.data.transactionId))).toEqual(ids);
    expect(deliveries).toHaveLength(ids.size);

    const events = (await storedEvents(p.nats.url)).filter((e) => ids.has(e.transactionId));
    expect(new Set(events.map((e) => e.transactionId))).toEqual(ids);
    expect(events).toHaveLength(ids.size);
  }, 150_000);
});
