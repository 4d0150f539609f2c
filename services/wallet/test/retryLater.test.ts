import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../../test/support/postgres.js";
import { StoreUnavailableError } from "../src/domain/errors.js";
import { guarded } from "../src/store/postgres/driverErrors.js";

/** The error PostgreSQL itself raises for `sql` in a session prepared by `setup`. */
async function realError(url: string, setup: (a: pg.Client, b: pg.Client) => Promise<void>, sql: string) {
  const a = new pg.Client({ connectionString: url });
  const b = new pg.Client({ connectionString: url });
  await Promise.all([a.connect(), b.connect()]);
  try {
    await setup(a, b);
    return await b.query(sql).then(
      () => {
        throw new Error(`expected ${sql} to fail`);
      },
      (err: unknown) => err,
    );
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
}

/*
 * Answers that mean "not now" (a deadlock or serialization failure left after
 * the retries, a lock or statement timeout, a cancelled call) become
 * UNAVAILABLE, never INTERNAL and never CONCURRENT_UPDATE: nothing was applied
 * and a retry with the same idempotency key is safe.
 */
describe("postgres - retry-later answers", () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    db = await createDatabase(inject("pgClusterUrl"));
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query("CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)");
    await c.end();
  });
  afterAll(() => db?.drop());

  it("deadlock (40P01) left after the retries - StoreUnavailableError", async () => {
    let first: Promise<unknown> = Promise.resolve();
    const err = await realError(
      db.url,
      async (a, b) => {
        await a.query("BEGIN; SET LOCAL deadlock_timeout = '10s'; UPDATE t SET n = 1 WHERE id = 1");
        await b.query("BEGIN; SET LOCAL deadlock_timeout = '20ms'; UPDATE t SET n = 1 WHERE id = 2");
        first = a.query("UPDATE t SET n = 1 WHERE id = 2").catch(() => {});
      },
      "UPDATE t SET n = 1 WHERE id = 1",
    );
    await first;
    expect((err as { code: string }).code).toBe("40P01");
    await expect(guarded(() => Promise.reject(err))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("lock_timeout (55P03) and statement_timeout (57014) - StoreUnavailableError", async () => {
    const lock = await realError(
      db.url,
      async (a, b) => {
        await a.query("BEGIN; SELECT 1 FROM t WHERE id = 1 FOR UPDATE");
        await b.query("SET lock_timeout = '20ms'");
      },
      "UPDATE t SET n = 2 WHERE id = 1",
    );
    expect((lock as { code: string }).code).toBe("55P03");
    const statement = await realError(
      db.url,
      async (_a, b) => {
        await b.query("SET statement_timeout = '20ms'");
      },
      "SELECT pg_sleep(1)",
    );
    expect((statement as { code: string }).code).toBe("57014");
    for (const err of [lock, statement]) {
      await expect(guarded(() => Promise.reject(err))).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    // A business error passes through untouched.
    const unique = await realError(db.url, async () => {}, "INSERT INTO t VALUES (1, 0)");
    await expect(guarded(() => Promise.reject(unique))).rejects.toBe(unique);
  });
});
