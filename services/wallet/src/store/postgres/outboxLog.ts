import type pg from "pg";
import type { OutboxEvent } from "../../domain/model.js";
import type { OutboxLog, OutboxPosition } from "../port.js";
import { guarded } from "./driverErrors.js";
import {
  HOLD_COLUMNS,
  type HoldRow,
  prefixed,
  TRANSACTION_COLUMNS,
  type TransactionRow,
  toHoldEvent,
  toOutboxEvent,
  unprefixed,
} from "./rows.js";

/*
 * The outbox as a log. Each row records the id of the transaction that wrote it
 * (xact_id, xid8) and a sequence number; the order is (xact_id, seq). Sequence
 * numbers alone would not do: they are taken before commit, so a row with a lower
 * number can become visible after a higher one was read. A reader therefore only
 * returns rows of transactions older than its snapshot's xmin (every transaction
 * below xmin has finished, and new ones get higher ids), so nothing can appear
 * behind a position already returned. The cursor is one row, updated in place
 * (a HOT update: no dead tuple per event) by the replica holding its lease.
 */

// A row is a transaction's event (t) or a hold transition's (h, as of hold_status).
const READ_COLUMNS = `${prefixed(TRANSACTION_COLUMNS, "t")}, ${prefixed(HOLD_COLUMNS, "h", "h_")}`;

type LogRow = TransactionRow & {
  event_id: string;
  request_id: string;
  owner_email: string;
  hold_status: string | null;
  occurred_at: Date;
};

export class PostgresOutboxLog implements OutboxLog {
  readonly kind = "log";

  constructor(private readonly pool: pg.Pool) {}

  acquire(owner: string, leaseMs: number): Promise<OutboxPosition | null> {
    return guarded(async () => {
      const { rows } = await this.pool.query<{ xact_id: string; seq_text: string }>({
        name: "outbox_cursor_acquire",
        text: `UPDATE outbox_cursor
               SET owner = $1, lease_until = clock_timestamp() + make_interval(secs => $2::double precision / 1000)
               WHERE id = 1 AND (owner = $1 OR lease_until < clock_timestamp())
               RETURNING xact_id::text AS xact_id, seq::text AS seq_text`,
        values: [owner, leaseMs],
      });
      return rows[0] ? { xactId: rows[0].xact_id, seq: rows[0].seq_text } : null;
    });
  }

  readAfter(
    after: OutboxPosition,
    limit: number,
  ): Promise<Array<{ position: OutboxPosition; eventId: string }>> {
    return guarded(async () => {
      const { rows } = await this.pool.query<{ xact_id: string; seq_text: string; event_id: string }>({
        name: "outbox_read_after",
        text: `SELECT xact_id::text AS xact_id, seq::text AS seq_text, event_id
               FROM outbox
               WHERE (xact_id, seq) > ($1::xid8, $2::bigint)
                 AND xact_id < pg_snapshot_xmin(pg_current_snapshot())
               ORDER BY xact_id, seq
               LIMIT $3`,
        values: [after.xactId, after.seq, limit],
      });
      return rows.map((r) => ({ position: { xactId: r.xact_id, seq: r.seq_text }, eventId: r.event_id }));
    });
  }

  events(eventIds: string[]): Promise<OutboxEvent[]> {
    if (eventIds.length === 0) return Promise.resolve([]);
    return guarded(async () => {
      const { rows } = await this.pool.query<LogRow>({
        name: "outbox_events",
        text: `SELECT ${READ_COLUMNS}, o.event_id, o.request_id, o.owner_email, o.hold_status,
                      o.created_at AS occurred_at
               FROM outbox o LEFT JOIN transactions t ON t.id = o.transaction_id LEFT JOIN holds h ON h.id = o.hold_id
               WHERE o.event_id = ANY($1::uuid[])`,
        values: [eventIds],
      });
      return rows.map((r) =>
        r.hold_status === null
          ? // As committed: a new transaction had nothing reversed yet, whatever was reversed since.
            toOutboxEvent({ ...r, reversed_amount: 0n })
          : toHoldEvent(unprefixed<HoldRow>(r as unknown as Record<string, unknown>, HOLD_COLUMNS, "h_"), {
              ...r,
              hold_status: r.hold_status,
              created_at: r.occurred_at,
            }),
      );
    });
  }

  advance(owner: string, to: OutboxPosition, leaseMs: number): Promise<boolean> {
    return guarded(async () => {
      // GREATEST-like guard: the cursor never moves back, whoever writes.
      const { rowCount } = await this.pool.query({
        name: "outbox_cursor_advance",
        text: `UPDATE outbox_cursor
               SET xact_id = CASE WHEN (xact_id, seq) < ($2::xid8, $3::bigint) THEN $2::xid8 ELSE xact_id END,
                   seq = CASE WHEN (xact_id, seq) < ($2::xid8, $3::bigint) THEN $3::bigint ELSE seq END,
                   lease_until = clock_timestamp() + make_interval(secs => $4::double precision / 1000)
               WHERE id = 1 AND owner = $1`,
        values: [owner, to.xactId, to.seq, leaseMs],
      });
      return rowCount === 1;
    });
  }

  release(owner: string): Promise<void> {
    return guarded(async () => {
      await this.pool.query(
        "UPDATE outbox_cursor SET lease_until = '-infinity' WHERE id = 1 AND owner = $1",
        [owner],
      );
    });
  }
}
