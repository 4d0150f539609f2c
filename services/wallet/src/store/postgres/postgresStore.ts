import pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { WalletExistsError } from "../../domain/errors.js";
import type * as model from "../../domain/model.js";
import { eventIdFloor } from "../../outbox/retention.js";
import { type Page, StoreAdapter } from "../adapter.js";
import { type StoreOptions, storeOptions } from "../options.js";
import type { HoldPosition, WalletStore } from "../port.js";
import { BalanceBatcher } from "./balanceBatch.js";
import { changeBalance } from "./balanceChange.js";
import { onConnection } from "./cancellable.js";
import { guarded, isUniqueViolation } from "./driverErrors.js";
import * as holds from "./holds.js";
import { PostgresOutboxLog } from "./outboxLog.js";
import { reverseTransaction } from "./reversal.js";
import { TRANSACTION_COLUMNS, toHold, toTransaction, toWallet, WALLET_COLUMNS } from "./rows.js";
import { ensureDatabase, migrate } from "./schema.js";
import { transfer } from "./transfer.js";
import { TransferBatcher } from "./transferBatch.js";

// bigint columns as BigInt, never as JS numbers; only for this pool.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => BigInt(v)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** WalletStore on PostgreSQL. */
export class PostgresStore extends StoreAdapter implements WalletStore {
  private readonly pool: pg.Pool;
  private readonly batchers: Record<"CREDIT" | "DEBIT", BalanceBatcher> | undefined;
  private readonly transfers: TransferBatcher | undefined;
  readonly outbox: PostgresOutboxLog;

  /**
   * `batchMax` > 1 turns on group commit for credits and debits (see balanceBatch.ts) and for
   * transfers (transferBatch.ts); 1 turns it off.
   */
  constructor(
    private readonly url: string,
    options: number | Partial<StoreOptions> = {},
    batchMax?: number,
  ) {
    super();
    const opts = storeOptions(options);
    if (batchMax !== undefined) opts.batchMax = batchMax;
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize,
      connectionTimeoutMillis: 5000,
      types,
      // Every wait has a bound: a statement, a lock wait, a transaction left open by a stalled process.
      statement_timeout: opts.statementTimeoutMs,
      lock_timeout: opts.lockTimeoutMs,
      idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs,
      // A peer that vanished (no FIN, no RST) is noticed instead of waited for forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process.
    this.pool.on("error", () => {});
    this.batchers =
      opts.batchMax > 1
        ? {
            CREDIT: new BalanceBatcher(this.pool, "CREDIT", 2, opts.batchMax),
            DEBIT: new BalanceBatcher(this.pool, "DEBIT", 2, opts.batchMax),
          }
        : undefined;
    this.transfers = opts.batchMax > 1 ? new TransferBatcher(this.pool, url, 2, opts.batchMax) : undefined;
    this.outbox = new PostgresOutboxLog(this.pool);
  }

  migrate(): Promise<void> {
    return guarded(async () => {
      await ensureDatabase(this.url, pg.Client);
      await migrate(this.pool);
    });
  }

  createWallet(input: { ownerId: string; currency: string; ownerEmail: string }): Promise<model.Wallet> {
    return guarded(async () => {
      try {
        const { rows } = await this.pool.query(
          `INSERT INTO wallets (id, owner_id, owner_email, currency) VALUES ($1, $2, $3, $4) RETURNING ${WALLET_COLUMNS}`,
          [uuidv7(), input.ownerId, input.ownerEmail, input.currency],
        );
        return toWallet(rows[0]);
      } catch (err) {
        if (isUniqueViolation(err, "wallets_owner_currency")) throw new WalletExistsError(input.currency);
        throw err;
      }
    });
  }

  protected walletById(ownerId: string, walletId: string): Promise<model.Wallet | null> {
    return guarded(async () => {
      const { rows } = await this.pool.query(
        `SELECT ${WALLET_COLUMNS} FROM wallets WHERE id = $1 AND owner_id = $2`,
        [walletId, ownerId],
      );
      return rows[0] ? toWallet(rows[0]) : null;
    });
  }

  listWallets(ownerId: string): Promise<model.Wallet[]> {
    return guarded(async () => {
      const { rows } = await this.pool.query(
        `SELECT ${WALLET_COLUMNS} FROM wallets WHERE owner_id = $1 ORDER BY created_at, id`,
        [ownerId],
      );
      return rows.map(toWallet);
    });
  }

  protected changeBalance(
    kind: "CREDIT" | "DEBIT",
    change: model.DebitChange,
  ): Promise<model.MutationResult> {
    // Compare-and-set debits need their own version check: they never join a batch.
    const batcher = change.expectedVersion === undefined ? this.batchers?.[kind] : undefined;
    return guarded(() =>
      batcher
        ? batcher.apply(change)
        : onConnection(this.pool, this.url, change.signal, (client) => changeBalance(client, kind, change)),
    );
  }

  protected transferBetween(change: model.TransferChange): Promise<model.TransferResult> {
    return guarded(() =>
      this.transfers ? this.transfers.apply(change) : transfer(this.pool, this.url, change),
    );
  }

  protected transactionsOf(page: Page<bigint>): Promise<model.Transaction[] | null> {
    const { ownerId, walletId, limit, after: beforeVersion } = page;
    return guarded(async () => {
      const owned = await this.pool.query("SELECT 1 FROM wallets WHERE id = $1 AND owner_id = $2", [
        walletId,
        ownerId,
      ]);
      if (!owned.rowCount) return null;
      const { rows } = await this.pool.query(
        `SELECT ${TRANSACTION_COLUMNS} FROM transactions
         WHERE wallet_id = $1 AND ($2::bigint IS NULL OR wallet_version < $2::bigint)
         ORDER BY wallet_version DESC LIMIT $3`,
        [walletId, beforeVersion?.toString() ?? null, limit],
      );
      return rows.map(toTransaction);
    });
  }

  protected transactionById(ownerId: string, transactionId: string): Promise<model.Transaction | null> {
    return guarded(async () => {
      const { rows } = await this.pool.query(
        `SELECT ${TRANSACTION_COLUMNS} FROM transactions WHERE id = $1 AND owner_id = $2`,
        [transactionId, ownerId],
      );
      return rows[0] ? toTransaction(rows[0]) : null;
    });
  }

  placeHold(placement: model.HoldPlacement): Promise<model.HoldResult> {
    return guarded(() => holds.placeHold(this.pool, this.url, placement));
  }

  captureHold(capture: model.HoldCapture): Promise<model.CaptureResult> {
    return guarded(() => holds.captureHold(this.pool, this.url, capture));
  }

  voidHold(release: model.HoldRelease): Promise<model.HoldResult> {
    return guarded(() => holds.voidHold(this.pool, this.url, release));
  }

  protected holdById(ownerId: string, holdId: string): Promise<model.Hold | null> {
    return guarded(async () => {
      const row = await holds.getHold(this.pool, ownerId, holdId);
      return row ? toHold(row) : null;
    });
  }

  protected holdsOf(page: Page<HoldPosition>): Promise<model.Hold[] | null> {
    return guarded(async () => {
      const rows = await holds.listHolds(this.pool, page);
      return rows ? rows.map(toHold) : null;
    });
  }

  expireHolds(now: Date, limit: number): Promise<model.OutboxEvent[]> {
    return guarded(() => holds.expireHolds(this.pool, this.url, now, limit));
  }

  reverseTransaction(request: model.ReversalRequest): Promise<model.ReversalResult> {
    return guarded(() => reverseTransaction(this.pool, this.url, request));
  }

  pruneOutbox(createdBefore: Date, limit: number): Promise<number> {
    return guarded(async () => {
      // Rows behind the cursor (published), by a range of the primary key (event ids are
      // UUIDv7, time-ordered); rows locked by someone else are skipped, so pruning never
      // waits for, nor holds up, a writer.
      const { rowCount } = await this.pool.query({
        name: "outbox_prune",
        text: `DELETE FROM outbox WHERE ctid = ANY(ARRAY(
                 SELECT o.ctid FROM outbox_cursor c, outbox o
                 WHERE c.id = 1 AND o.event_id < $1::uuid AND (o.xact_id, o.seq) <= (c.xact_id, c.seq)
                 ORDER BY o.event_id LIMIT $2 FOR UPDATE OF o SKIP LOCKED))`,
        values: [eventIdFloor(createdBefore), limit],
      });
      return rowCount ?? 0;
    });
  }

  countUnpublished(): Promise<number> {
    return guarded(async () => {
      const { rows } = await this.pool.query<{ n: bigint }>(
        `SELECT count(*) AS n FROM outbox_cursor c, outbox o
         WHERE c.id = 1 AND (o.xact_id, o.seq) > (c.xact_id, c.seq)`,
      );
      return Number(rows[0].n);
    });
  }

  ping(): Promise<void> {
    return guarded(async () => {
      await this.pool.query("SELECT 1");
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
