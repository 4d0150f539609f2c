import { MAX_AMOUNT } from "@wallet/contracts";
import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { BusyError } from "../../domain/errors.js";
import type { DebitChange, MutationResult, Transaction } from "../../domain/model.js";
import { explainRefusal, type Funds, requireSameRequest } from "../../domain/rules.js";
import { isUniqueViolation } from "./driverErrors.js";
import { TRANSACTION_COLUMNS, type TransactionRow, toOutboxEvent, toTransaction } from "./rows.js";

const IDEMPOTENCY_CONSTRAINT = "transactions_owner_idempotency_key";

/*
 * One statement, one round trip, autocommit: the conditional UPDATE takes the
 * row lock and re-checks its WHERE against the latest committed row, so
 * concurrent changes serialize with no lost update and no overdraft. A repeated
 * idempotency key violates the unique index and rolls the whole statement back.
 */
function changeSql(kind: "CREDIT" | "DEBIT"): string {
  const sign = kind === "CREDIT" ? "+" : "-";
  // A debit may take only the available funds: what pending holds reserve stays.
  const guard = kind === "CREDIT" ? `balance + $3::bigint <= ${MAX_AMOUNT}` : "balance - held >= $3::bigint";
  return `
    WITH w AS (
      UPDATE wallets SET balance = balance ${sign} $3::bigint, version = version + 1, updated_at = now()
      WHERE id = $1 AND owner_id = $2 AND ${guard} AND ($9::bigint IS NULL OR version = $9::bigint)
      RETURNING id, owner_id, owner_email, currency, balance, version
    ), t AS (
      INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                                idempotency_key, fingerprint, metadata)
      SELECT $4, w.id, w.owner_id, '${kind}', $3::bigint, w.currency, w.balance, w.version, $5, $6, $7::jsonb FROM w
      RETURNING ${TRANSACTION_COLUMNS}
    ), o AS (
      INSERT INTO outbox (event_id, transaction_id, request_id, owner_email)
      SELECT $8, t.id, $10, w.owner_email FROM t, w
    )
    SELECT t.*, w.owner_email, $8::uuid AS event_id, $10::text AS request_id FROM t, w`;
}

/** The credit statement; exported so the benchmark can run this exact statement under pgbench as a ceiling. */
export const CREDIT_SQL = changeSql("CREDIT");
const DEBIT_SQL = changeSql("DEBIT");

/** A pool or one connection taken from it. */
export type Queryable = Pick<pg.Pool, "query">;

/**
 * Credits or debits one wallet; retries a bounded number of times when the cause
 * of a miss moved on. Running out of those retries is not an answer about the
 * request (nothing was applied): it is UNAVAILABLE, to be retried, never
 * CONCURRENT_UPDATE, which only a stale expectedVersion earns.
 */
/** The parameters $1…$10 of the credit and debit statements, with fresh transaction and event ids. */
export function changeParams(change: DebitChange): unknown[] {
  return [
    change.walletId,
    change.ownerId,
    change.amount.toString(),
    uuidv7(),
    change.idempotencyKey,
    change.fingerprint,
    JSON.stringify(change.metadata),
    uuidv7(),
    change.expectedVersion?.toString() ?? null,
    change.requestId,
  ];
}

export async function changeBalance(
  pool: Queryable,
  kind: "CREDIT" | "DEBIT",
  change: DebitChange,
): Promise<MutationResult> {
  // Named, so each connection plans this statement once instead of on every call.
  const text = kind === "CREDIT" ? CREDIT_SQL : DEBIT_SQL;
  const name = kind === "CREDIT" ? "wallet_credit" : "wallet_debit";
  for (let attempt = 1; ; attempt++) {
    const params = changeParams(change);
    try {
      const { rows } = await pool.query({ name, text, values: params });
      if (rows.length === 1) {
        const event = toOutboxEvent(rows[0]);
        return { transaction: event.transaction, replayed: false, events: [event] };
      }
    } catch (err) {
      if (!isUniqueViolation(err, IDEMPOTENCY_CONSTRAINT)) throw err;
    }
    const previous = await findByIdempotencyKey(pool, change.ownerId, change.idempotencyKey);
    if (previous) return replay(previous, change.fingerprint);
    await explainMiss(pool, kind, change);
    if (attempt >= 3) throw new BusyError();
  }
}

export async function findByIdempotencyKey(
  pool: Queryable,
  ownerId: string,
  key: string,
): Promise<(TransactionRow & { fingerprint: string }) | null> {
  const { rows } = await pool.query(
    `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE owner_id = $1 AND idempotency_key = $2`,
    [ownerId, key],
  );
  return rows[0] ?? null;
}

export function replay(row: TransactionRow, fingerprint: string): MutationResult {
  requireSameRequest(row.fingerprint, fingerprint);
  const transaction: Transaction = toTransaction(row);
  return { transaction, replayed: true, events: [] };
}

/** Throws the domain error that explains why the conditional update matched no row. */
async function explainMiss(pool: Queryable, kind: "CREDIT" | "DEBIT", change: DebitChange): Promise<void> {
  const { rows } = await pool.query<Funds & { version: bigint }>(
    "SELECT balance, balance - held AS available, version FROM wallets WHERE id = $1 AND owner_id = $2",
    [change.walletId, change.ownerId],
  );
  explainRefusal(rows[0], kind, change);
}
