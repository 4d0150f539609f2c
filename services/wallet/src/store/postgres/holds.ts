import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { BusyError, HoldNotFoundError, HoldNotPendingError } from "../../domain/errors.js";
import type {
  CaptureResult,
  HoldCapture,
  HoldPlacement,
  HoldRelease,
  HoldResult,
  OutboxEvent,
} from "../../domain/model.js";
import {
  captureAmount,
  captureDestination,
  explainRefusal,
  type Funds,
  requireEndReplay,
  requireSameRequest,
} from "../../domain/rules.js";
import { isIssuedId, issuedIdOrNone, validateAmount, validateAmountOrZero } from "../../domain/validation.js";
import type { Page } from "../adapter.js";
import type { HoldPosition } from "../port.js";
import { onConnection } from "./cancellable.js";
import { isUniqueViolation, withRetry } from "./driverErrors.js";
import {
  HOLD_COLUMNS,
  type HoldRow,
  TRANSACTION_COLUMNS,
  type TransactionRow,
  toHold,
  toTransaction,
} from "./rows.js";
import {
  appendOutbox,
  insertTransactions,
  inTransaction,
  lockWallets,
  type NewTransaction,
  type OutboxEntry,
  transferLegs,
} from "./writes.js";

/*
 * Holds. A PENDING hold's amount is part of its wallet's `held`; every transition
 * changes the hold row, the wallet's `held` (and, for a capture, its balance) and
 * appends one outbox row per event, in one database transaction. Units of work that
 * touch a hold lock the hold row first, then wallets in id order (as transfers do), so
 * captures, voids and expiry sweeps never wait on each other in a cycle; whichever
 * locks a PENDING hold first ends it, the others find it ended.
 */

const HOLD_KEY = "holds_owner_idempotency_key";

/*
 * One statement, autocommit: the conditional UPDATE re-checks the available funds on
 * the latest committed row under its lock; a repeated key violates the unique index
 * and rolls the whole statement back.
 */
const PLACE_SQL = `
  WITH w AS (
    UPDATE wallets SET held = held + $3::bigint, updated_at = now()
    WHERE id = $1 AND owner_id = $2 AND balance - held >= $3::bigint
    RETURNING id, owner_id, owner_email, currency
  ), h AS (
    INSERT INTO holds (id, wallet_id, owner_id, currency, amount, expires_at, idempotency_key, fingerprint, metadata)
    SELECT $4, w.id, w.owner_id, w.currency, $3::bigint, $5, $6, $7, $8::jsonb FROM w
    RETURNING ${HOLD_COLUMNS}
  ), o AS (
    INSERT INTO outbox (event_id, hold_id, hold_status, request_id, owner_email)
    SELECT $9, h.id, 'PENDING', $10, w.owner_email FROM h, w
    RETURNING created_at
  )
  SELECT h.*, w.owner_email, o.created_at AS occurred_at FROM h, w, o`;

export async function placeHold(
  pool: pg.Pool,
  cancelUrl: string,
  placement: HoldPlacement,
): Promise<HoldResult> {
  validateAmount(placement.amount);
  const walletId = issuedIdOrNone(placement.walletId);
  for (let attempt = 1; ; attempt++) {
    const eventId = uuidv7();
    try {
      const { rows } = await onConnection(pool, cancelUrl, placement.signal, (client) =>
        client.query<HoldRow & { owner_email: string; occurred_at: Date }>({
          name: "wallet_place_hold",
          text: PLACE_SQL,
          values: [
            walletId,
            placement.ownerId,
            placement.amount.toString(),
            uuidv7(),
            placement.expiresAt,
            placement.idempotencyKey,
            placement.fingerprint,
            JSON.stringify(placement.metadata),
            eventId,
            placement.requestId,
          ],
        }),
      );
      if (rows.length === 1) {
        const row = rows[0];
        const hold = toHold(row);
        return {
          hold,
          replayed: false,
          events: [
            {
              kind: "hold",
              eventId,
              requestId: placement.requestId,
              ownerEmail: row.owner_email,
              hold,
              occurredAt: row.occurred_at,
            },
          ],
        };
      }
    } catch (err) {
      if (!isUniqueViolation(err, HOLD_KEY)) throw err;
    }
    const previous = await findHoldByKey(pool, placement.ownerId, placement.idempotencyKey);
    if (previous) {
      requireSameRequest(previous.fingerprint, placement.fingerprint);
      return { hold: toHold(previous), replayed: true, events: [] };
    }
    const { rows } = await pool.query<Funds & { version: bigint }>(
      "SELECT balance, balance - held AS available, version FROM wallets WHERE id = $1 AND owner_id = $2",
      [walletId, placement.ownerId],
    );
    // A hold spends like a debit.
    explainRefusal(rows[0], "DEBIT", placement);
    if (attempt >= 3) throw new BusyError();
  }
}

async function findHoldByKey(pool: pg.Pool, ownerId: string, key: string): Promise<HoldRow | null> {
  const { rows } = await pool.query<HoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM holds WHERE owner_id = $1 AND idempotency_key = $2`,
    [ownerId, key],
  );
  return rows[0] ?? null;
}

export async function getHold(pool: pg.Pool, ownerId: string, holdId: string): Promise<HoldRow | null> {
  if (!isIssuedId(holdId)) return null;
  const { rows } = await pool.query<HoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = $1 AND owner_id = $2`,
    [holdId, ownerId],
  );
  return rows[0] ?? null;
}

/** How a PENDING hold ends at a caller's request. */
type Ending = { status: "VOIDED"; release: HoldRelease } | { status: "CAPTURED"; capture: HoldCapture };

type Outcome =
  | { expired: true }
  | { expired: false; hold: HoldRow; transaction?: TransactionRow; replayed: boolean; events: OutboxEvent[] };

export async function captureHold(
  pool: pg.Pool,
  cancelUrl: string,
  capture: HoldCapture,
): Promise<CaptureResult> {
  const outcome = await endHold(pool, cancelUrl, { status: "CAPTURED", capture });
  return {
    hold: toHold(outcome.hold),
    transaction: toTransaction(outcome.transaction!),
    replayed: outcome.replayed,
    events: outcome.events,
  };
}

export async function voidHold(pool: pg.Pool, cancelUrl: string, release: HoldRelease): Promise<HoldResult> {
  const outcome = await endHold(pool, cancelUrl, { status: "VOIDED", release });
  return { hold: toHold(outcome.hold), replayed: outcome.replayed, events: outcome.events };
}

async function endHold(
  pool: pg.Pool,
  cancelUrl: string,
  ending: Ending,
): Promise<Extract<Outcome, { expired: false }>> {
  const request = ending.status === "CAPTURED" ? ending.capture : ending.release;
  if (ending.status === "CAPTURED") validateAmountOrZero(ending.capture.amount);
  if (!isIssuedId(request.holdId)) throw new HoldNotFoundError();
  const outcome = await withRetry(() =>
    onConnection(pool, cancelUrl, request.signal, (client, control) =>
      inTransaction(
        client,
        () => control.beginCommit(),
        () => endOnce(client, ending),
      ),
    ),
  );
  // Found past its expiry: the expiry is committed, and only then is the caller told.
  if (outcome.expired) throw new HoldNotPendingError("EXPIRED");
  return outcome;
}

async function endOnce(client: pg.PoolClient, ending: Ending): Promise<Outcome> {
  const request = ending.status === "CAPTURED" ? ending.capture : ending.release;
  const { rows } = await client.query<HoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM holds WHERE id = $1 AND owner_id = $2 FOR NO KEY UPDATE`,
    [request.holdId, request.ownerId],
  );
  const hold = rows[0];
  if (!hold) throw new HoldNotFoundError();
  if (hold.status !== "PENDING") {
    requireEndReplay(
      { status: hold.status, endKey: hold.end_idempotency_key, endFingerprint: hold.end_fingerprint },
      { ...request, status: ending.status },
    );
    let transaction: TransactionRow | undefined;
    if (hold.capture_transaction_id) {
      const tx = await client.query<TransactionRow>(
        `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE id = $1`,
        [hold.capture_transaction_id],
      );
      transaction = tx.rows[0];
    }
    return { expired: false, hold, transaction, replayed: true, events: [] };
  }
  if (hold.expires_at.getTime() <= Date.now()) {
    await expire(client, [hold], request.requestId);
    return { expired: true };
  }
  if (ending.status === "VOIDED") {
    const { rows: w } = await client.query<{ owner_email: string }>(
      "UPDATE wallets SET held = held - $2::bigint, updated_at = now() WHERE id = $1 RETURNING owner_email",
      [hold.wallet_id, hold.amount.toString()],
    );
    const ended = await markEnded(client, hold.id, "VOIDED", request, {});
    const events = await appendOutbox(client, request.requestId, [
      { hold: ended, status: "VOIDED", ownerEmail: w[0].owner_email },
    ]);
    return { expired: false, hold: ended, replayed: false, events };
  }
  return capture(client, hold, ending.capture);
}

async function capture(client: pg.PoolClient, hold: HoldRow, request: HoldCapture): Promise<Outcome> {
  const amount = captureAmount(hold.amount, request.amount);
  let legs: NewTransaction[];
  let ownerEmail: string;
  if (!request.destinationWalletId) {
    // The whole hold is released, the captured part leaves the balance.
    const { rows } = await client.query<{ owner_email: string; balance: bigint; version: bigint }>(
      `UPDATE wallets SET balance = balance - $2::bigint, held = held - $3::bigint, version = version + 1,
              updated_at = now()
       WHERE id = $1 RETURNING owner_email, balance, version`,
      [hold.wallet_id, amount.toString(), hold.amount.toString()],
    );
    ownerEmail = rows[0].owner_email;
    legs = [
      {
        walletId: hold.wallet_id,
        ownerId: hold.owner_id,
        ownerEmail,
        type: "DEBIT",
        amount,
        currency: hold.currency,
        balanceAfter: rows[0].balance,
        walletVersion: rows[0].version,
        metadata: request.metadata,
        holdId: hold.id,
      },
    ];
  } else {
    const toId = issuedIdOrNone(request.destinationWalletId);
    const rows = await lockWallets(client, [hold.wallet_id, toId]);
    const from = rows.find((w) => w.id === hold.wallet_id)!;
    const to = captureDestination(
      { walletId: hold.wallet_id, currency: hold.currency },
      rows.find((w) => w.id === toId),
      amount,
    );
    await client.query(
      `UPDATE wallets SET balance = balance + CASE WHEN id = $1 THEN -$3::bigint ELSE $3::bigint END,
              held = held - CASE WHEN id = $1 THEN $4::bigint ELSE 0 END,
              version = version + 1, updated_at = now()
       WHERE id IN ($1, $2)`,
      [from.id, to.id, amount.toString(), hold.amount.toString()],
    );
    ownerEmail = from.owner_email;
    legs = transferLegs(from, to, amount, request.metadata, { holdId: hold.id }, { holdId: hold.id });
  }
  const inserted = await insertTransactions(client, legs);
  const ended = await markEnded(client, hold.id, "CAPTURED", request, {
    captured: amount,
    transactionId: inserted[0].id,
    destinationWalletId: request.destinationWalletId ? inserted[1].wallet_id : null,
  });
  const entries: OutboxEntry[] = [
    ...inserted.map((transaction) => ({ transaction })),
    { hold: ended, status: "CAPTURED", ownerEmail },
  ];
  const events = await appendOutbox(client, request.requestId, entries);
  return { expired: false, hold: ended, transaction: inserted[0], replayed: false, events };
}

async function markEnded(
  client: pg.PoolClient,
  holdId: string,
  status: "CAPTURED" | "VOIDED",
  request: { idempotencyKey: string; fingerprint: string },
  capture: { captured?: bigint; transactionId?: string; destinationWalletId?: string | null },
): Promise<HoldRow> {
  const { rows } = await client.query<HoldRow>(
    `UPDATE holds SET status = $2, ended_at = now(), end_idempotency_key = $3, end_fingerprint = $4,
            captured_amount = $5::bigint, capture_transaction_id = $6, destination_wallet_id = $7
     WHERE id = $1 RETURNING ${HOLD_COLUMNS}`,
    [
      holdId,
      status,
      request.idempotencyKey,
      request.fingerprint,
      (capture.captured ?? 0n).toString(),
      capture.transactionId ?? null,
      capture.destinationWalletId ?? null,
    ],
  );
  return rows[0];
}

/** Ends these PENDING holds, locked by the caller, as EXPIRED: releases them and appends their events. */
async function expire(client: pg.PoolClient, holds: HoldRow[], requestId: string): Promise<OutboxEvent[]> {
  const byWallet = new Map<string, bigint>();
  for (const h of holds) byWallet.set(h.wallet_id, (byWallet.get(h.wallet_id) ?? 0n) + h.amount);
  const walletIds = [...byWallet.keys()].sort();
  // Wallets locked in id order, as everywhere else.
  const { rows: wallets } = await client.query<{ id: string; owner_email: string }>(
    "SELECT id, owner_email FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
    [walletIds],
  );
  await client.query(
    `UPDATE wallets SET held = held - r.amount, updated_at = now()
     FROM unnest($1::uuid[], $2::bigint[]) AS r(id, amount) WHERE wallets.id = r.id`,
    [walletIds, walletIds.map((id) => byWallet.get(id)!.toString())],
  );
  const { rows: ended } = await client.query<HoldRow>(
    `UPDATE holds SET status = 'EXPIRED', ended_at = now() WHERE id = ANY($1::uuid[]) RETURNING ${HOLD_COLUMNS}`,
    [holds.map((h) => h.id)],
  );
  const email = new Map(wallets.map((w) => [w.id, w.owner_email]));
  return appendOutbox(
    client,
    requestId,
    ended.map((hold) => ({ hold, status: "EXPIRED" as const, ownerEmail: email.get(hold.wallet_id) ?? "" })),
  );
}

/**
 * Ends up to `limit` due PENDING holds as EXPIRED. Holds another transaction has locked
 * (a sweep on another replica, a capture) are skipped, never waited for, so concurrent
 * sweeps end disjoint holds and each hold ends once.
 */
export async function expireHolds(
  pool: pg.Pool,
  cancelUrl: string,
  now: Date,
  limit: number,
): Promise<OutboxEvent[]> {
  return withRetry(() =>
    onConnection(pool, cancelUrl, undefined, (client, control) =>
      inTransaction(
        client,
        () => control.beginCommit(),
        async () => {
          const { rows } = await client.query<HoldRow>(
            `SELECT ${HOLD_COLUMNS} FROM holds WHERE status = 'PENDING' AND expires_at <= $1
             ORDER BY expires_at LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`,
            [now, limit],
          );
          return rows.length === 0 ? [] : expire(client, rows, "");
        },
      ),
    ),
  );
}

export async function listHolds(
  pool: pg.Pool,
  { ownerId, walletId, limit, after }: Page<HoldPosition>,
): Promise<HoldRow[] | null> {
  const owned = await pool.query("SELECT 1 FROM wallets WHERE id = $1 AND owner_id = $2", [
    walletId,
    ownerId,
  ]);
  if (!owned.rowCount) return null;
  const { rows } = await pool.query<HoldRow>(
    `SELECT ${HOLD_COLUMNS} FROM holds
     WHERE wallet_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [walletId, after?.createdAt ?? null, after ? issuedIdOrNone(after.id) : null, limit],
  );
  return rows;
}
