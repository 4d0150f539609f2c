import fc from "fast-check";
import pg from "pg";
import { expect } from "vitest";

/**
 * Run length and seed: a bounded run in `npm test`, a long one in `npm run fuzz`
 * (FUZZ_REST_RUNS, FUZZ_GRPC_RUNS), reproducible with FUZZ_SEED. Every run prints both.
 */
export function fuzzSettings(
  name: string,
  numRuns: number,
  runsVariable: string,
): { numRuns: number; seed: number } {
  const seed = process.env.FUZZ_SEED
    ? Number(process.env.FUZZ_SEED)
    : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
  console.log(
    `fuzz ${name}: ${numRuns} cases, seed ${seed} (rerun with FUZZ_SEED=${seed} ${runsVariable}=${numRuns})`,
  );
  return { numRuns, seed };
}

/** One wallet as the store has it. */
export interface WalletRow {
  ownerId: string;
  currency: string;
  balance: bigint;
  version: bigint;
  transactions: number;
}

export type Ledger = Map<string, WalletRow>;

/** Reads every wallet and its transaction count straight from PostgreSQL. */
export async function readLedger(db: pg.Client): Promise<Ledger> {
  const { rows } = await db.query<{
    id: string;
    owner_id: string;
    currency: string;
    balance: string;
    version: string;
    txs: number;
  }>(
    `SELECT w.id, w.owner_id, w.currency, w.balance::text, w.version::text,
            (SELECT count(*) FROM transactions t WHERE t.wallet_id = w.id)::int AS txs
     FROM wallets w ORDER BY w.id`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        ownerId: r.owner_id,
        currency: r.currency.trim(),
        balance: BigInt(r.balance),
        version: BigInt(r.version),
        transactions: r.txs,
      },
    ]),
  );
}

/** What a successful call says it did. */
export type Effect =
  | { kind: "none" }
  | { kind: "move"; legs: Array<{ walletId: string; delta: bigint; balanceAfter?: bigint }> }
  | { kind: "created"; walletId: string; ownerId: string; currency: string };

/** Asserts that `after` is `before` with exactly `effect` applied, nothing else. */
export function expectEffect(before: Ledger, after: Ledger, effect: Effect, context: string): void {
  const expected: Ledger = new Map([...before].map(([id, w]) => [id, { ...w }]));
  if (effect.kind === "move") {
    for (const leg of effect.legs) {
      const w = expected.get(leg.walletId);
      expect(w, `${context}: moved money on a wallet that did not exist`).toBeDefined();
      w!.balance += leg.delta;
      w!.version += 1n;
      w!.transactions += 1;
      if (leg.balanceAfter !== undefined) {
        expect(leg.balanceAfter, `${context}: reported balance`).toBe(w!.balance);
      }
    }
  }
  if (effect.kind === "created") {
    expect(before.has(effect.walletId), `${context}: reported an existing wallet as created`).toBe(false);
    expected.set(effect.walletId, {
      ownerId: effect.ownerId,
      currency: effect.currency,
      balance: 0n,
      version: 0n,
      transactions: 0,
    });
  }
  expect(after, context).toEqual(expected);
}

export async function openLedger(url: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return db;
}

/*
 * Hostile values shared by both suites.
 */

/** Any UTF-16 string: lone surrogates, NUL, control characters, astral characters. */
export const anyText = (maxLength = 40) => fc.string({ unit: "binary", maxLength });

/** Strings that sit on the edges of what the API accepts. */
export const edgeText = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "\u{1F600}",
  "\u{1F600}".repeat(512),
  "\u{1F600}".repeat(513),
  "x".repeat(64),
  "x".repeat(65),
  "x".repeat(255),
  "x".repeat(256),
  "x".repeat(512),
  "x".repeat(513),
  "$where",
  "__proto__",
  "constructor",
  "a.b",
  "../../etc/passwd",
  "%00",
  "' OR 1=1 --",
  "\r\nX-Injected: 1",
  "USD",
  "usd",
  "ZZZ",
);

export const text = (maxLength = 40) => fc.oneof(anyText(maxLength), edgeText);

/** Integers around every boundary the API has, as bigint. */
export const edgeInteger = fc.oneof(
  fc.constantFrom(
    0n,
    1n,
    -1n,
    100n,
    9007199254740991n,
    9007199254740992n,
    9223372036854775807n,
    -9223372036854775808n,
    2147483647n,
    -2147483648n,
  ),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.bigInt({ min: 1n, max: 1000n }),
);
