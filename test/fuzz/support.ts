import fc from "fast-check";
import pg from "pg";
import { expect } from "vitest";

/**
 * Run length and seed: a bounded run in `npm test`, a long one in `npm run fuzz`
 * (FUZZ_REST_RUNS, FUZZ_GRPC_RUNS), reproducible with FUZZ_SEED. Every run prints both.
 */
function fuzzSettings(
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
  /** The sum of the wallet's pending holds. */
  held: bigint;
  version: bigint;
  transactions: number;
}

export type Ledger = Map<string, WalletRow>;

export type HoldStatus = "PENDING" | "CAPTURED" | "VOIDED" | "EXPIRED";

/** One hold as the store has it. */
export interface HoldRow {
  walletId: string;
  ownerId: string;
  currency: string;
  amount: bigint;
  status: HoldStatus;
  captured: bigint;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** One transaction as the store has it (what reversals and the invariants read). */
export interface TxRow {
  walletId: string;
  ownerId: string;
  type: "CREDIT" | "DEBIT" | "TRANSFER_OUT" | "TRANSFER_IN";
  amount: bigint;
  reversed: bigint;
  reversalOf: string | null;
  transferId: string | null;
  holdId: string | null;
}

/** Everything the properties compare: wallets, holds and transactions, straight from PostgreSQL. */
export interface State {
  wallets: Ledger;
  /** In creation order. */
  holds: Map<string, HoldRow>;
  /** In insertion order. */
  txs: Map<string, TxRow>;
  /** When it was read (ms): holds due by then may have expired on their own. */
  readAt: number;
}

/** Reads every wallet (with its transaction count), hold and transaction straight from PostgreSQL. */
export async function readState(db: pg.Client): Promise<State> {
  // One snapshot: the sweeper may expire holds between the queries.
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    return await readSnapshot(db);
  } finally {
    await db.query("COMMIT");
  }
}

async function readSnapshot(db: pg.Client): Promise<State> {
  const wallets = await db.query<{
    id: string;
    owner_id: string;
    currency: string;
    balance: string;
    held: string;
    version: string;
    txs: number;
  }>(
    `SELECT w.id, w.owner_id, w.currency, w.balance::text, w.held::text, w.version::text,
            (SELECT count(*) FROM transactions t WHERE t.wallet_id = w.id)::int AS txs
     FROM wallets w ORDER BY w.id`,
  );
  const holds = await db.query<{
    id: string;
    wallet_id: string;
    owner_id: string;
    currency: string;
    amount: string;
    status: HoldStatus;
    captured_amount: string;
    expires_at: Date;
  }>(
    `SELECT id, wallet_id, owner_id, currency, amount::text, status, captured_amount::text, expires_at
     FROM holds ORDER BY created_at, id`,
  );
  const txs = await db.query<{
    id: string;
    wallet_id: string;
    owner_id: string;
    type: TxRow["type"];
    amount: string;
    reversed_amount: string;
    reversal_of: string | null;
    transfer_id: string | null;
    hold_id: string | null;
  }>(
    `SELECT id, wallet_id, owner_id, type, amount::text, reversed_amount::text, reversal_of, transfer_id, hold_id
     FROM transactions ORDER BY created_at, id`,
  );
  return {
    readAt: Date.now(),
    wallets: new Map(
      wallets.rows.map((r) => [
        r.id,
        {
          ownerId: r.owner_id,
          currency: r.currency.trim(),
          balance: BigInt(r.balance),
          held: BigInt(r.held),
          version: BigInt(r.version),
          transactions: r.txs,
        },
      ]),
    ),
    holds: new Map(
      holds.rows.map((r) => [
        r.id,
        {
          walletId: r.wallet_id,
          ownerId: r.owner_id,
          currency: r.currency.trim(),
          amount: BigInt(r.amount),
          status: r.status,
          captured: BigInt(r.captured_amount),
          expiresAt: r.expires_at.getTime(),
        },
      ]),
    ),
    txs: new Map(
      txs.rows.map((r) => [
        r.id,
        {
          walletId: r.wallet_id,
          ownerId: r.owner_id,
          type: r.type,
          amount: BigInt(r.amount),
          reversed: BigInt(r.reversed_amount),
          reversalOf: r.reversal_of,
          transferId: r.transfer_id,
          holdId: r.hold_id,
        },
      ]),
    ),
  };
}

export interface Leg {
  walletId: string;
  delta: bigint;
  balanceAfter?: bigint;
}

/** What a successful call says it did. */
export type Effect =
  | { kind: "none" }
  | { kind: "move"; legs: Leg[] }
  | { kind: "created"; walletId: string; ownerId: string; currency: string }
  | { kind: "holdPlaced"; holdId: string; walletId: string; amount: bigint }
  | { kind: "holdEnded"; holdId: string; status: "CAPTURED" | "VOIDED"; captured: bigint; legs: Leg[] }
  /** `reversalOf`: the transaction the reversal names; a transfer's other leg is reversed with it. */
  | { kind: "reversal"; reversalOf: string; amount: bigint; legs: Leg[] };

/** A hold due before `at` (with a margin for clocks and sweeps) may end on its own at any moment. */
export function mayExpire(hold: HoldRow, at: number): boolean {
  return hold.status === "PENDING" && hold.expiresAt <= at + 3_000;
}

/**
 * Asserts that `after` is `before` with exactly `effect` applied, nothing else — except
 * that holds past their expiry may have been expired by the wallet's sweeper (or by a
 * capture or void that found them due) meanwhile, releasing their amount.
 */
export function expectEffect(before: State, after: State, effect: Effect, context: string): void {
  const wallets: Ledger = new Map([...before.wallets].map(([id, w]) => [id, { ...w }]));
  const holds = new Map([...before.holds].map(([id, h]) => [id, { ...h }]));
  const txs = new Map([...before.txs].map(([id, t]) => [id, { ...t }]));
  const wallet = (id: string) => {
    const w = wallets.get(id);
    expect(w, `${context}: touched a wallet that did not exist (${id})`).toBeDefined();
    return w!;
  };
  let newTransactions = 0;
  const move = (legs: Leg[]) => {
    for (const leg of legs) {
      const w = wallet(leg.walletId);
      w.balance += leg.delta;
      w.version += 1n;
      w.transactions += 1;
      newTransactions++;
      if (leg.balanceAfter !== undefined) {
        expect(leg.balanceAfter, `${context}: reported balance`).toBe(w.balance);
      }
    }
  };
  let ownHold: string | undefined;
  switch (effect.kind) {
    case "none":
      break;
    case "move":
      move(effect.legs);
      break;
    case "created":
      expect(before.wallets.has(effect.walletId), `${context}: reported an existing wallet as created`).toBe(
        false,
      );
      wallets.set(effect.walletId, {
        ownerId: effect.ownerId,
        currency: effect.currency,
        balance: 0n,
        held: 0n,
        version: 0n,
        transactions: 0,
      });
      break;
    case "holdPlaced": {
      expect(before.holds.has(effect.holdId), `${context}: reported an existing hold as placed`).toBe(false);
      const w = wallet(effect.walletId);
      w.held += effect.amount;
      const placed = after.holds.get(effect.holdId);
      expect(placed, `${context}: the placed hold is not in the store`).toBeDefined();
      holds.set(effect.holdId, {
        walletId: effect.walletId,
        ownerId: w.ownerId,
        currency: w.currency,
        amount: effect.amount,
        status: "PENDING",
        captured: 0n,
        expiresAt: placed!.expiresAt,
      });
      ownHold = effect.holdId;
      break;
    }
    case "holdEnded": {
      const h = holds.get(effect.holdId);
      expect(h?.status, `${context}: ended a hold that was not pending`).toBe("PENDING");
      expect(effect.captured <= h!.amount, `${context}: captured ${effect.captured} of ${h!.amount}`).toBe(
        true,
      );
      wallet(h!.walletId).held -= h!.amount;
      h!.status = effect.status;
      h!.captured = effect.captured;
      move(effect.legs);
      ownHold = effect.holdId;
      break;
    }
    case "reversal":
      for (const id of reversalOriginals(before, effect.reversalOf)) {
        const t = txs.get(id);
        expect(t, `${context}: reversed a transaction that did not exist`).toBeDefined();
        t!.reversed += effect.amount;
        expect(t!.reversed <= t!.amount, `${context}: reversed ${t!.reversed} of ${t!.amount}`).toBe(true);
      }
      move(effect.legs);
      break;
  }
  // The sweeper (or a capture or void that found the hold due) may have expired due holds meanwhile.
  for (const [id, h] of holds) {
    const now = after.holds.get(id);
    if (id !== ownHold && h.status === "PENDING" && now?.status === "EXPIRED") {
      expect(h.expiresAt <= after.readAt + 1_000, `${context}: hold ${id} expired before its time`).toBe(
        true,
      );
      h.status = "EXPIRED";
      wallet(h.walletId).held -= h.amount;
    }
  }
  expect(after.wallets, context).toEqual(wallets);
  expect(after.holds, context).toEqual(holds);
  // Transactions: the old ones unchanged but for what was reversed, and exactly the new ones the effect made.
  const old = new Map([...after.txs].filter(([id]) => before.txs.has(id)));
  expect(old, context).toEqual(txs);
  expect(after.txs.size - before.txs.size, `${context}: new transactions`).toBe(newTransactions);
  if (effect.kind === "reversal") {
    const originals = reversalOriginals(before, effect.reversalOf);
    for (const [id, t] of after.txs) {
      if (before.txs.has(id)) continue;
      expect(originals, `${context}: the reversal's transaction names what it reverses`).toContain(
        t.reversalOf,
      );
    }
  }
  expectStateInvariants(after, context);
}

const SIGN: Record<TxRow["type"], bigint> = { CREDIT: 1n, TRANSFER_IN: 1n, DEBIT: -1n, TRANSFER_OUT: -1n };

/**
 * The ledger's invariants over one snapshot: balance = sum of signed transactions,
 * held = sum of pending holds, 0 <= held <= balance, captures within their holds,
 * reversed amounts equal to the reversals that name them and within the original,
 * no reversal of a reversal, and a capture's transaction(s) only on captured holds.
 */
export function expectStateInvariants(state: State, context: string): void {
  const sums = new Map<string, bigint>();
  const reversedBy = new Map<string, bigint>();
  const captureTxs = new Map<string, Set<string>>();
  for (const [id, t] of state.txs) {
    sums.set(t.walletId, (sums.get(t.walletId) ?? 0n) + SIGN[t.type] * t.amount);
    if (t.reversalOf) {
      reversedBy.set(t.reversalOf, (reversedBy.get(t.reversalOf) ?? 0n) + t.amount);
      expect(state.txs.get(t.reversalOf)?.reversalOf, `${context}: ${id} reverses a reversal`).toBeNull();
    }
    if (t.holdId) {
      const set = captureTxs.get(t.holdId) ?? new Set();
      set.add(t.transferId ?? id);
      captureTxs.set(t.holdId, set);
    }
  }
  const pending = new Map<string, bigint>();
  for (const [id, h] of state.holds) {
    if (h.status === "PENDING") pending.set(h.walletId, (pending.get(h.walletId) ?? 0n) + h.amount);
    expect(h.captured <= h.amount, `${context}: hold ${id} captured above its amount`).toBe(true);
    // A hold ends once: one capture (one debit or one transfer) only on a captured hold.
    expect(captureTxs.get(id)?.size ?? 0, `${context}: capture transactions of hold ${id}`).toBe(
      h.status === "CAPTURED" ? 1 : 0,
    );
  }
  for (const [id, w] of state.wallets) {
    expect(w.balance, `${context}: wallet ${id} balance vs its transactions`).toBe(sums.get(id) ?? 0n);
    expect(w.held, `${context}: wallet ${id} held vs its pending holds`).toBe(pending.get(id) ?? 0n);
    expect(w.held >= 0n && w.balance - w.held >= 0n, `${context}: wallet ${id} available < 0`).toBe(true);
  }
  for (const [id, t] of state.txs) {
    expect(t.reversed, `${context}: ${id} reversed vs the reversals naming it`).toBe(
      reversedBy.get(id) ?? 0n,
    );
    expect(t.reversed <= t.amount, `${context}: ${id} reversed above its amount`).toBe(true);
  }
}

/**
 * Each hold ended at most once, as recorded in the outbox: one terminal event per ended hold
 * (its final status), none per pending one. Reads the holds and the outbox in one snapshot.
 */
export async function expectHoldsEndedOnce(db: pg.Client): Promise<void> {
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  let state: State;
  let rows: Array<{ hold_id: string; n: number; statuses: string[] }>;
  try {
    state = await readSnapshot(db);
    ({ rows } = await db.query<{ hold_id: string; n: number; statuses: string[] }>(
      `SELECT hold_id, count(*)::int AS n, array_agg(hold_status) AS statuses FROM outbox
       WHERE hold_id IS NOT NULL AND hold_status <> 'PENDING' GROUP BY hold_id`,
    ));
  } finally {
    await db.query("COMMIT");
  }
  const ended = new Map(rows.map((r) => [r.hold_id, r]));
  for (const [id, h] of state.holds) {
    const row = ended.get(id);
    if (h.status === "PENDING") expect(row, `hold ${id} is pending but has an end event`).toBeUndefined();
    else
      expect({ n: row?.n, statuses: row?.statuses }, `hold ${id} end events`).toEqual({
        n: 1,
        statuses: [h.status],
      });
  }
  expect(
    rows.filter((r) => !state.holds.has(r.hold_id)),
    "end events of unknown holds",
  ).toEqual([]);
}

async function openLedger(url: string): Promise<pg.Client> {
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

/** A well-formed hold or reversal request whose outcome the model predicts from the state before it. */
export type CleanOp =
  | { op: "place"; sub: string; walletId: string; amount: bigint; expiresInSeconds?: bigint }
  | { op: "capture"; sub: string; holdId: string; amount?: bigint; dest?: string }
  | { op: "void"; sub: string; holdId: string }
  | { op: "getHold"; sub: string; holdId: string }
  | { op: "listHolds"; sub: string; walletId: string }
  | { op: "reverse"; sub: string; mayCredit: boolean; transactionId: string; amount?: bigint };

export interface Outcome {
  http: number;
  code: string;
}

export const HOLD_MAX_TTL_SECONDS = 30n * 24n * 3600n;
/** Hold lifetimes (seconds) at and around the edges: the shortest, an hour, the longest, one past it, far past it. */
export const HOLD_TTL_EDGES = [
  1n,
  2n,
  60n,
  3600n,
  HOLD_MAX_TTL_SECONDS,
  HOLD_MAX_TTL_SECONDS + 1n,
  10n ** 12n,
];
const OK = (http: number): Outcome => ({ http, code: "OK" });
const fail = (http: number, code: string): Outcome => ({ http, code });

/**
 * The documented answer to `op` given the state before it (docs/architecture.md, "Holds",
 * "Reversals", the error table), or undefined when a hold's expiry may race the request.
 */
export function predict(state: State, op: CleanOp): Outcome | undefined {
  const at = Date.now();
  const available = (walletId: string) => {
    const w = state.wallets.get(walletId)!;
    return w.balance - w.held;
  };
  const racing = (walletId: string) =>
    [...state.holds.values()].some((h) => h.walletId === walletId && mayExpire(h, at));
  switch (op.op) {
    case "place": {
      if (op.amount < 1n) return fail(400, "VALIDATION_FAILED");
      if (op.expiresInSeconds !== undefined && op.expiresInSeconds > HOLD_MAX_TTL_SECONDS)
        return fail(400, "VALIDATION_FAILED");
      const w = state.wallets.get(op.walletId);
      if (!w || w.ownerId !== op.sub) return fail(404, "WALLET_NOT_FOUND");
      if (op.amount > available(op.walletId))
        return racing(op.walletId) ? undefined : fail(409, "INSUFFICIENT_FUNDS");
      return OK(201);
    }
    case "capture":
    case "void":
    case "getHold": {
      const h = state.holds.get(op.holdId);
      if (!h || h.ownerId !== op.sub) return fail(404, "HOLD_NOT_FOUND");
      if (mayExpire(h, at)) return undefined;
      if (op.op === "getHold") return OK(200);
      if (h.status !== "PENDING") return fail(409, "HOLD_NOT_PENDING");
      if (op.op === "void") return OK(200);
      const amount = op.amount ?? h.amount;
      if (amount > h.amount) return fail(409, "AMOUNT_EXCEEDS_REMAINING");
      if (op.dest !== undefined) {
        if (op.dest === h.walletId) return fail(400, "VALIDATION_FAILED");
        const to = state.wallets.get(op.dest);
        if (!to) return fail(404, "WALLET_NOT_FOUND");
        if (to.currency !== h.currency) return fail(409, "CURRENCY_MISMATCH");
      }
      return OK(200);
    }
    case "listHolds": {
      const w = state.wallets.get(op.walletId);
      return !w || w.ownerId !== op.sub ? fail(404, "WALLET_NOT_FOUND") : OK(200);
    }
    case "reverse": {
      const t = state.txs.get(op.transactionId);
      if (!t || t.ownerId !== op.sub) return fail(404, "WALLET_NOT_FOUND");
      if (t.reversalOf || t.type === "TRANSFER_OUT") return fail(409, "NOT_REVERSIBLE");
      if (t.type === "DEBIT" && !op.mayCredit) return fail(403, "FORBIDDEN");
      const rest = t.amount - t.reversed;
      const amount = op.amount ?? rest;
      if (rest === 0n || amount > rest) return fail(409, "AMOUNT_EXCEEDS_REMAINING");
      if (t.type !== "DEBIT" && amount > available(t.walletId))
        return racing(t.walletId) ? undefined : fail(409, "INSUFFICIENT_FUNDS");
      return OK(201);
    }
  }
}

/** A hold or transaction named by a request: one from the store as it is when the case runs. */
export interface StoreRef {
  pool: "pending" | "any" | "reversal";
  n: number;
}

/** How a case draws a StoreRef: mostly a pending one among the newest, else any one, sometimes a reversal. */
export const storeRefs: fc.WeightedArbitrary<StoreRef>[] = [
  { weight: 6, arbitrary: fc.record({ pool: fc.constant("pending" as const), n: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ pool: fc.constant("any" as const), n: fc.nat(60) }) },
  { weight: 2, arbitrary: fc.record({ pool: fc.constant("reversal" as const), n: fc.nat(20) }) },
];

/** A uuid no hold or transaction has. */
export const NO_SUCH_ID = "00000000-0000-7000-8000-000000000000";

/** The hold `ref` names (of `owner` only, when given), counting back from the newest; NO_SUCH_ID when there is none. */
export function pickHold(ref: StoreRef, state: State, owner?: string): string {
  const pool = [...state.holds].filter(
    ([, h]) =>
      (ref.pool !== "pending" || h.status === "PENDING") && (owner === undefined || h.ownerId === owner),
  );
  return pool.length ? pool[pool.length - 1 - (ref.n % pool.length)][0] : NO_SUCH_ID;
}

/**
 * The transaction `ref` names (of `owner` only, when given), counting back from the newest: "reversal" picks
 * a reversal, "pending" one that may still be reversed; NO_SUCH_ID when there is none.
 */
export function pickTx(ref: StoreRef, state: State, owner?: string): string {
  const pool = [...state.txs].filter(([, t]) =>
    owner !== undefined && t.ownerId !== owner
      ? false
      : ref.pool === "reversal"
        ? t.reversalOf !== null
        : ref.pool === "pending"
          ? t.reversalOf === null && t.type !== "TRANSFER_OUT" && t.reversed < t.amount
          : true,
  );
  return pool.length ? pool[pool.length - 1 - (ref.n % pool.length)][0] : NO_SUCH_ID;
}

/**
 * The end of a run: the ledger's invariants once more, then what the cases came to (outcomes, holds and
 * reversals made, outcomes predicted).
 */
export async function expectRunEnd(
  db: pg.Client,
  name: string,
  stats: Map<string, number>,
  predicted: number,
): Promise<void> {
  const state = await readState(db);
  expectStateInvariants(state, "after the run");
  await expectHoldsEndedOnce(db);
  console.log(
    `fuzz ${name} outcomes: ${[...stats]
      .sort()
      .map(([k, n]) => `${k} x${n}`)
      .join(", ")}`,
  );
  console.log(
    `fuzz ${name}: ${state.holds.size} holds (${[...state.holds.values()].filter((h) => h.status !== "PENDING").length} ended), ` +
      `${[...state.txs.values()].filter((t) => t.reversalOf).length} reversal transactions, ${predicted} outcomes predicted`,
  );
}

/** What a successful reversal of `transactionId` adds to reversed amounts: the original, and for a transfer its other leg too. */
function reversalOriginals(state: State, transactionId: string): string[] {
  const t = state.txs.get(transactionId);
  if (t?.type !== "TRANSFER_IN") return [transactionId];
  const out = [...state.txs].find(([, o]) => o.transferId === t.transferId && o.type === "TRANSFER_OUT");
  return out ? [transactionId, out[0]] : [transactionId];
}

/** What one case of a fuzz run sees of the run. */
export interface FuzzCase {
  /** The ledger before this case: what the case before it read after itself. */
  readonly before: State;
  /** Reads the ledger after this case; the next case starts from it. */
  readAfter(): Promise<State>;
  /** A line about the case before this one, for failure messages; set it to this case's for the next. */
  previous: string;
  /** Counts this case's outcome in the statistics printed at the end. */
  count(outcome: string): void;
  /**
   * The outcome the model predicts for `op` from `before`, counted among those predicted (the
   * case checks it); undefined when a hold's expiry may race the request.
   */
  predict(op: CleanOp): Outcome | undefined;
  /** Counts a success whose effects the case checked. */
  succeeded(): void;
  /** Says this was not a case (a request the HTTP client itself refuses to send): it is not counted. */
  notACase(): void;
}

/**
 * Runs `check` on every case `arb` draws (`numRuns` of them with the random seed fuzzSettings
 * picks, ending at the first failure), one after another on a ledger nothing else
 * writes to but the hold sweeper, so each case's state after is the next one's
 * before; the ledger is read from PostgreSQL at `dbUrl` on a connection of the
 * run's own. Every `invariantsEvery` cases and after the last,
 * `expectApiInvariants` and the holds' invariants are checked; then the ledger's,
 * and the run's outcomes are printed. At least `numRuns` cases must have run (a
 * case that says it is not one does not count), and some succeeded.
 */
export async function runFuzzCases<C>(
  run: {
    name: string;
    dbUrl: string;
    arb: fc.Arbitrary<C>;
    numRuns: number;
    /** The environment variable that sets numRuns, for the line that tells how to rerun. */
    runsVariable: string;
    invariantsEvery: number;
    expectApiInvariants(): Promise<void>;
    /** What a success is called in the summary ("OK", "2xx"). */
    success: string;
  },
  check: (c: C, fuzzCase: FuzzCase) => Promise<void>,
): Promise<void> {
  const { name } = run;
  const settings = fuzzSettings(name, run.numRuns, run.runsVariable);
  const db = await openLedger(run.dbUrl);
  try {
    let cases = 0;
    let successes = 0;
    let predicted = 0;
    let previous = "(nothing)";
    const stats = new Map<string, number>();
    let state = await readState(db);
    await fc.assert(
      fc.asyncProperty(run.arb, async (c) => {
        let counted = true;
        const before = state;
        const fuzzCase: FuzzCase = {
          before,
          readAfter: async () => {
            state = await readState(db);
            return state;
          },
          get previous() {
            return previous;
          },
          set previous(line) {
            previous = line;
          },
          count: (outcome) => stats.set(outcome, (stats.get(outcome) ?? 0) + 1),
          predict: (op) => {
            const outcome = predict(before, op);
            if (outcome) predicted++;
            return outcome;
          },
          succeeded: () => successes++,
          notACase: () => {
            counted = false;
          },
        };
        await check(c, fuzzCase);
        if (!counted) return;
        cases++;
        if (cases % run.invariantsEvery === 0) {
          await run.expectApiInvariants();
          await expectHoldsEndedOnce(db);
        }
      }),
      { ...settings, endOnFailure: true },
    );
    await run.expectApiInvariants();
    await expectRunEnd(db, name, stats, predicted);
    console.log(`fuzz ${name}: ${cases} cases run, ${successes} of them ${run.success} with effects checked`);
    expect(cases).toBeGreaterThanOrEqual(settings.numRuns);
    expect(successes).toBeGreaterThan(0);
  } finally {
    await db.end();
  }
}
