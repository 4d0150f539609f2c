import type pg from "pg";

/** Ordered, append-only migrations; each runs once, in its own transaction. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE wallets (
     id uuid PRIMARY KEY,
     owner_id text NOT NULL,
     owner_email text NOT NULL DEFAULT '',
     currency char(3) NOT NULL,
     balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0 AND balance <= 9007199254740991),
     version bigint NOT NULL DEFAULT 0,
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT wallets_owner_currency UNIQUE (owner_id, currency)
   );
   CREATE TABLE transactions (
     id uuid PRIMARY KEY,
     wallet_id uuid NOT NULL REFERENCES wallets (id),
     owner_id text NOT NULL,
     type text NOT NULL,
     amount bigint NOT NULL CHECK (amount > 0),
     currency char(3) NOT NULL,
     balance_after bigint NOT NULL,
     wallet_version bigint NOT NULL,
     transfer_id uuid,
     counterparty_wallet_id uuid,
     idempotency_key text,
     fingerprint text,
     metadata jsonb NOT NULL DEFAULT '{}',
     created_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT transactions_wallet_version UNIQUE (wallet_id, wallet_version)
   );
   CREATE UNIQUE INDEX transactions_owner_idempotency_key
     ON transactions (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
   CREATE TABLE outbox (
     event_id uuid PRIMARY KEY,
     transaction_id uuid NOT NULL REFERENCES transactions (id),
     request_id text NOT NULL DEFAULT '',
     owner_email text NOT NULL DEFAULT '',
     created_at timestamptz NOT NULL DEFAULT now(),
     claimed_until timestamptz,
     published_at timestamptz
   );
   CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;`,
  // The outbox becomes a log read in (writing transaction, sequence) order behind one
  // cursor row, instead of a row update per published event. Rows already there keep
  // their order (published ones first) under a transaction id below any real one; the
  // cursor starts after the published ones. published_at and claimed_until stay for
  // replicas of the previous version during a rolling update and are no longer written.
  `ALTER TABLE outbox ADD COLUMN xact_id xid8, ADD COLUMN seq bigint;
   CREATE SEQUENCE outbox_seq AS bigint OWNED BY outbox.seq;
   UPDATE outbox o SET xact_id = '1', seq = r.n
   FROM (SELECT event_id, row_number() OVER (ORDER BY published_at IS NULL, created_at, event_id) AS n FROM outbox) r
   WHERE r.event_id = o.event_id;
   SELECT setval('outbox_seq', (SELECT count(*) FROM outbox) + 1, false);
   ALTER TABLE outbox
     ALTER COLUMN xact_id SET DEFAULT pg_current_xact_id(), ALTER COLUMN xact_id SET NOT NULL,
     ALTER COLUMN seq SET DEFAULT nextval('outbox_seq'), ALTER COLUMN seq SET NOT NULL;
   DROP INDEX outbox_unpublished;
   CREATE INDEX outbox_position ON outbox (xact_id, seq);
   CREATE TABLE outbox_cursor (
     id int PRIMARY KEY CHECK (id = 1),
     xact_id xid8 NOT NULL,
     seq bigint NOT NULL,
     owner text NOT NULL DEFAULT '',
     lease_until timestamptz NOT NULL DEFAULT '-infinity'
   ) WITH (fillfactor = 10);
   INSERT INTO outbox_cursor (id, xact_id, seq)
   SELECT 1, '1', count(*) FILTER (WHERE published_at IS NOT NULL) FROM outbox;`,
  // Holds and reversals. wallets.held is the sum of the wallet's PENDING holds; the CHECK
  // keeps available funds (balance - held) from going negative whatever writes the row.
  // Timestamps a listing cursor or a client compares are kept at millisecond precision,
  // which a JS Date round-trips exactly. Outbox rows are a transaction's or a hold
  // transition's (hold_status as of that transition), never both.
  `ALTER TABLE wallets ADD COLUMN held bigint NOT NULL DEFAULT 0,
     ADD CONSTRAINT wallets_held_within_balance CHECK (held >= 0 AND held <= balance);
   CREATE TABLE holds (
     id uuid PRIMARY KEY,
     wallet_id uuid NOT NULL REFERENCES wallets (id),
     owner_id text NOT NULL,
     currency char(3) NOT NULL,
     amount bigint NOT NULL CHECK (amount > 0),
     status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CAPTURED', 'VOIDED', 'EXPIRED')),
     captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
     capture_transaction_id uuid,
     destination_wallet_id uuid,
     expires_at timestamptz(3) NOT NULL,
     idempotency_key text NOT NULL,
     fingerprint text NOT NULL,
     end_idempotency_key text,
     end_fingerprint text,
     metadata jsonb NOT NULL DEFAULT '{}',
     created_at timestamptz(3) NOT NULL DEFAULT now(),
     ended_at timestamptz(3),
     CONSTRAINT holds_owner_idempotency_key UNIQUE (owner_id, idempotency_key),
     CONSTRAINT holds_ended CHECK ((status = 'PENDING') = (ended_at IS NULL))
   );
   CREATE INDEX holds_wallet_newest ON holds (wallet_id, created_at DESC, id DESC);
   CREATE INDEX holds_pending_expiry ON holds (expires_at) WHERE status = 'PENDING';
   ALTER TABLE transactions
     ADD COLUMN reversal_of uuid REFERENCES transactions (id),
     ADD COLUMN hold_id uuid REFERENCES holds (id),
     ADD COLUMN reversed_amount bigint NOT NULL DEFAULT 0,
     ADD CONSTRAINT transactions_reversed_within_amount CHECK (reversed_amount >= 0 AND reversed_amount <= amount);
   ALTER TABLE holds ADD CONSTRAINT holds_capture_transaction
     FOREIGN KEY (capture_transaction_id) REFERENCES transactions (id);
   ALTER TABLE outbox
     ALTER COLUMN transaction_id DROP NOT NULL,
     ADD COLUMN hold_id uuid REFERENCES holds (id),
     ADD COLUMN hold_status text CHECK (hold_status IN ('PENDING', 'CAPTURED', 'VOIDED', 'EXPIRED')),
     ADD CONSTRAINT outbox_one_subject CHECK (
       (transaction_id IS NULL) <> (hold_id IS NULL) AND (hold_id IS NULL) = (hold_status IS NULL));`,
];

// Any constant works; it only has to be the same for every replica.
const MIGRATION_LOCK = 7_316_001;

/** Applies pending migrations; replicas starting together serialize on an advisory lock. */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Migrations may wait for another replica's and may take long: no timeouts for this session.
    await client.query(
      "SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0",
    );
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const applied = new Set(rows.map((r) => r.version));
    for (const [i, sql] of MIGRATIONS.entries()) {
      const version = i + 1;
      if (applied.has(version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(sql);
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [version]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    // Back to the pool's settings before the connection serves requests.
    await client
      .query("RESET statement_timeout; RESET lock_timeout; RESET idle_in_transaction_session_timeout")
      .then(
        () => client.release(),
        (err: Error) => client.release(err),
      );
  }
}

/**
 * Creates the database named in the URL when it does not exist yet (local
 * zero-config start). A database that exists is only connected to: managed
 * PostgreSQL often forbids the `postgres` database, which is needed only to create one.
 */
export async function ensureDatabase(url: string, Client: typeof pg.Client): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name || name === "postgres") return;
  const probe = new Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (err) {
    await probe.end().catch(() => {});
    if ((err as { code?: string }).code !== "3D000") throw err; // 3D000: database does not exist
  }
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== "42P04") throw err; // created meanwhile by another replica
      });
    }
  } finally {
    await client.end();
  }
}
