/** Bounds on the store's waits; 0 disables one. */
export interface StoreOptions {
  poolSize: number;
  /** PostgreSQL statement_timeout; on MongoDB the time one mutation may spend retrying its transaction. */
  statementTimeoutMs: number;
  /** PostgreSQL lock_timeout (MongoDB transactions do not wait for locks: they conflict at once). */
  lockTimeoutMs: number;
  /** PostgreSQL idle_in_transaction_session_timeout. */
  idleInTransactionTimeoutMs: number;
  /** PostgreSQL group commit: most credits, debits or transfers (each kind apart) in one statement; 1 turns it off. */
  batchMax: number;
}

export const DEFAULT_STORE_OPTIONS: StoreOptions = {
  poolSize: 20,
  statementTimeoutMs: 4000,
  lockTimeoutMs: 2000,
  idleInTransactionTimeoutMs: 4000,
  batchMax: 256,
};

/** Full options from a pool size alone (the older signature) or a partial set. */
export function storeOptions(options: number | Partial<StoreOptions> = {}): StoreOptions {
  return typeof options === "number"
    ? { ...DEFAULT_STORE_OPTIONS, poolSize: options }
    : { ...DEFAULT_STORE_OPTIONS, ...options };
}
