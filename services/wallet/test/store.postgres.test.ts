import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { requestFingerprint } from "../src/domain/fingerprint.js";
import { PostgresStore } from "../src/store/postgres/postgresStore.js";
import { describeStoreConformance } from "./storeConformance.js";

describeStoreConformance("PostgreSQL", async () => {
  const db = await createDatabase(inject("pgClusterUrl"));
  const store = new PostgresStore(db.url, 20);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

describe("outbox pruning - PostgreSQL locks", () => {
  it("prune - skips a row another transaction holds instead of waiting, and takes it once it is free", async () => {
    const db = await createDatabase(inject("pgClusterUrl"));
    const store = new PostgresStore(db.url, 4);
    const other = new pg.Client({ connectionString: db.url });
    try {
      await store.migrate();
      await other.connect();
      const ownerId = `user-${randomUUID()}`;
      const w = await store.createWallet({ ownerId, currency: "USD", ownerEmail: "" });
      for (let i = 0; i < 3; i++) {
        const idempotencyKey = randomUUID();
        await store.credit({
          ownerId,
          walletId: w.id,
          amount: 1n,
          idempotencyKey,
          metadata: {},
          fingerprint: requestFingerprint("credit", { idempotencyKey }),
          requestId: "",
        });
      }
      const events = await store.claimUnpublished(100, 0, 30_000);
      await store.markPublished(events.map((e) => e.eventId));
      // Another session holds the oldest row (as a long transaction or a writer would).
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM outbox WHERE event_id = $1 FOR UPDATE", [events[0].eventId]);
      // Were pruning to wait for that lock, this call would never return (the lock is
      // released only after it), and the test would time out.
      expect(await store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(2);
      const held = await other.query("SELECT count(*)::int AS n FROM outbox");
      expect(held.rows[0].n).toBe(1);
      await other.query("COMMIT");
      expect(await store.pruneOutbox(new Date(Date.now() + 60_000), 100)).toBe(1);
      const left = await other.query("SELECT count(*)::int AS n FROM outbox");
      expect(left.rows[0].n).toBe(0);
    } finally {
      await other.end().catch(() => {});
      await store.close();
      await db.drop();
    }
  });
});
