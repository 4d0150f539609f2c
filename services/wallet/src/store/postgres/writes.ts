import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { WalletError } from "../../domain/errors.js";
import type {
  HoldEvent,
  HoldStatus,
  LedgerEntry,
  OutboxEvent,
  TransactionEvent,
} from "../../domain/model.js";
import { requireMove } from "../../domain/rules.js";
import { isUniqueViolation } from "./driverErrors.js";
import {
  type HoldRow,
  type LockedWallet,
  TRANSACTION_COLUMNS,
  type TransactionRow,
  toHoldEvent,
  toOutboxEvent,
} from "./rows.js";

/** A transaction row to insert inside a unit of work that has locked (and updated) its wallet. */
export interface NewTransaction extends LedgerEntry {
  /** For its event. */
  ownerEmail: string;
  metadata: Record<string, string>;
}

/**
 * The two legs of a transfer of `amount` from `from` to `to` (both locked, not yet updated: the
 * legs carry the balances and versions after it), one transfer id; `outExtra` and `inExtra` add
 * what each leg records besides (idempotency key, the hold or the reversed transaction).
 */
export function transferLegs(
  from: LockedWallet,
  to: LockedWallet,
  amount: bigint,
  metadata: Record<string, string>,
  outExtra: Partial<NewTransaction>,
  inExtra: Partial<NewTransaction>,
): [NewTransaction, NewTransaction] {
  const transferId = uuidv7();
  const leg = (
    wallet: LockedWallet,
    other: LockedWallet,
    type: "TRANSFER_OUT" | "TRANSFER_IN",
    extra: Partial<NewTransaction>,
  ): NewTransaction => ({
    walletId: wallet.id,
    ownerId: wallet.owner_id,
    ownerEmail: wallet.owner_email,
    type,
    amount,
    currency: wallet.currency,
    balanceAfter: type === "TRANSFER_OUT" ? wallet.balance - amount : wallet.balance + amount,
    walletVersion: wallet.version + 1n,
    transferId,
    counterpartyWalletId: other.id,
    metadata,
    ...extra,
  });
  return [leg(from, to, "TRANSFER_OUT", outExtra), leg(to, from, "TRANSFER_IN", inExtra)];
}

const TX_FIELDS = 15;

/** Inserts the rows (one statement) and returns them in the order given. */
export async function insertTransactions(
  client: pg.PoolClient,
  rows: NewTransaction[],
): Promise<Array<TransactionRow & { owner_email: string }>> {
  const values: unknown[] = [];
  const tuples = rows.map((r, i) => {
    values.push(
      uuidv7(),
      r.walletId,
      r.ownerId,
      r.type,
      r.amount.toString(),
      r.currency,
      r.balanceAfter.toString(),
      r.walletVersion.toString(),
      r.transferId ?? null,
      r.counterpartyWalletId ?? null,
      r.idempotencyKey ?? null,
      r.fingerprint ?? null,
      JSON.stringify(r.metadata),
      r.reversalOf ?? null,
      r.holdId ?? null,
    );
    const p = (k: number) => `$${i * TX_FIELDS + k}`;
    return `(${p(1)}::uuid, ${p(2)}::uuid, ${p(3)}, ${p(4)}, ${p(5)}::bigint, ${p(6)}, ${p(7)}::bigint, ${p(8)}::bigint,
             ${p(9)}::uuid, ${p(10)}::uuid, ${p(11)}, ${p(12)}, ${p(13)}::jsonb, ${p(14)}::uuid, ${p(15)}::uuid)`;
  });
  const { rows: inserted } = await client.query<TransactionRow>(
    `INSERT INTO transactions (id, wallet_id, owner_id, type, amount, currency, balance_after, wallet_version,
                               transfer_id, counterparty_wallet_id, idempotency_key, fingerprint, metadata,
                               reversal_of, hold_id)
     VALUES ${tuples.join(", ")}
     RETURNING ${TRANSACTION_COLUMNS}`,
    values,
  );
  return rows.map((r, i) => ({ ...inserted[i], owner_email: r.ownerEmail }));
}

/** What one outbox row records: a committed transaction, or a hold's transition to `status`. */
export type OutboxEntry =
  | { transaction: TransactionRow & { owner_email: string } }
  | { hold: HoldRow; status: HoldStatus; ownerEmail: string };

/** Appends one outbox row per entry (one statement) and returns the events, in the order given. */
export async function appendOutbox(
  client: pg.PoolClient,
  requestId: string,
  entries: OutboxEntry[],
): Promise<OutboxEvent[]> {
  const eventIds = entries.map(() => uuidv7());
  const { rows } = await client.query<{ event_id: string; created_at: Date }>(
    `INSERT INTO outbox (event_id, transaction_id, hold_id, hold_status, request_id, owner_email)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[])
     RETURNING event_id, created_at`,
    [
      eventIds,
      entries.map((e) => ("transaction" in e ? e.transaction.id : null)),
      entries.map((e) => ("hold" in e ? e.hold.id : null)),
      entries.map((e) => ("hold" in e ? e.status : null)),
      entries.map(() => requestId),
      entries.map((e) => ("hold" in e ? e.ownerEmail : e.transaction.owner_email)),
    ],
  );
  const createdAt = new Map(rows.map((r) => [r.event_id, r.created_at]));
  return entries.map((e, i): TransactionEvent | HoldEvent =>
    "hold" in e
      ? toHoldEvent(e.hold, {
          event_id: eventIds[i],
          request_id: requestId,
          owner_email: e.ownerEmail,
          hold_status: e.status,
          created_at: createdAt.get(eventIds[i])!,
        })
      : toOutboxEvent({ ...e.transaction, event_id: eventIds[i], request_id: requestId }),
  );
}

/** Runs work in a transaction on `client`: COMMIT when it returns (after control allows it), ROLLBACK when it throws. */
export async function inTransaction<T>(
  client: pg.PoolClient,
  beginCommit: () => void,
  work: () => Promise<T>,
): Promise<T> {
  try {
    await client.query("BEGIN");
    const result = await work();
    beginCommit();
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** Locks the wallets (FOR UPDATE, in id order, so two units of work cannot deadlock each other). */
export async function lockWallets(client: pg.PoolClient, ids: string[]): Promise<LockedWallet[]> {
  const { rows } = await client.query<LockedWallet>(
    "SELECT id, owner_id, owner_email, currency, balance, held, version FROM wallets WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
    [ids],
  );
  return rows;
}

/**
 * Checks that the locked `from` can spend amount and that `to` stays within
 * MAX_AMOUNT, then debits `from` and credits `to` (one statement).
 */
export async function moveBetween(
  client: pg.PoolClient,
  from: LockedWallet,
  to: LockedWallet,
  amount: bigint,
): Promise<void> {
  requireMove(from.balance - from.held, to.balance, amount);
  await client.query(
    `UPDATE wallets SET balance = balance + CASE WHEN id = $1 THEN -$3::bigint ELSE $3::bigint END,
            version = version + 1, updated_at = now()
     WHERE id IN ($1, $2)`,
    [from.id, to.id, amount.toString()],
  );
}

/**
 * Runs work; when it fails on the transactions' idempotency key (or with a
 * domain error), a concurrent request with the same key may have won the race:
 * that one is replayed when `find` finds it, and the failure rethrown when not.
 */
export async function replayingRaced<D, R>(
  work: () => Promise<R>,
  find: () => Promise<D | null>,
  replay: (row: D) => R,
): Promise<R> {
  try {
    return await work();
  } catch (err) {
    if (!isUniqueViolation(err, "transactions_owner_idempotency_key") && !(err instanceof WalletError))
      throw err;
    const raced = await find();
    if (!raced) throw err;
    return replay(raced);
  }
}
