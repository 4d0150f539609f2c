import { CallAbortedError } from "../../domain/errors.js";
import { isConnectionError, isTimeout } from "./driverErrors.js";

interface Pending<C, R> {
  change: C;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Group commit: the writes of one kind that arrive while earlier statements are running go to
 * PostgreSQL together as one statement and one commit (one WAL flush), instead of one each.
 *
 * Batches form by themselves, without waiting on a timer: a write that finds no statement
 * running goes at once, alone, on the single-write path; the ones that arrive meanwhile queue
 * and leave together when it finishes. One statement at a time makes the fewest, fullest commits (measured: 12%
 * more credits per second, 14% less CPU per credit and a lower p99 than two at a time). So that
 * one statement stuck on a row lock or a slow disk does not hold up every other write of its
 * kind, a further statement starts once every running one has run for `stallMs`, up to
 * `maxInFlight`.
 *
 * The batch statement applies the writes it can answer for exactly (see each subclass) and
 * reports them by their position in the batch; every other write goes the single-write path,
 * which gives it its exact answer, so a failing write fails alone. When the statement fails as a
 * whole (a repeated idempotency key, a deadlock), nothing of it applied and every write goes the
 * single path; when the database is unreachable or a lock or statement timeout hit, each write
 * alone would wait that out again, so all of them fail with that error.
 */
export abstract class GroupCommit<C extends { signal?: AbortSignal }, R> {
  private readonly queue: Pending<C, R>[] = [];
  /** When each running statement started (performance.now()), oldest first. */
  private readonly running: number[] = [];
  private stallTimer: NodeJS.Timeout | undefined;
  /**
   * Statements of more than one write sent so far, the writes they carried, and the statements
   * that failed as a whole (every write of them then went the single path).
   */
  readonly stats = { batches: 0, batchedChanges: 0, failedBatches: 0 };

  /**
   * @param maxInFlight statements running at once at most; the rest of the writes wait and batch.
   * @param maxBatch writes in one statement at most.
   * @param stallMs how long the running statements must all have run before another starts.
   */
  constructor(
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
    private readonly stallMs = 50,
  ) {}

  apply(change: C): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ change, resolve, reject });
      this.drain();
    });
  }

  /** Applies what it can of `changes` in one statement; the results by position in `changes`. */
  protected abstract applyBatch(changes: C[]): Promise<Map<number, R>>;

  /** The single-write path, with its exact answer. */
  protected abstract applyOne(change: C): Promise<R>;

  /** Whether another statement may start now: none is running, or all have stalled. */
  private mayStart(now: number): boolean {
    const newest = this.running.at(-1);
    return newest === undefined || (this.running.length < this.maxInFlight && now - newest >= this.stallMs);
  }

  private drain(): void {
    while (this.queue.length > 0 && this.mayStart(performance.now())) {
      const batch = this.queue.splice(0, this.maxBatch).filter((p) => {
        if (!p.change.signal?.aborted) return true;
        // Its caller has gone while it waited: not applied.
        p.reject(new CallAbortedError());
        return false;
      });
      if (batch.length === 0) continue;
      const started = performance.now();
      this.running.push(started);
      void this.run(batch).finally(() => {
        this.running.splice(this.running.indexOf(started), 1);
        this.drain();
      });
    }
    this.watchForStall();
  }

  /**
   * While writes wait behind running statements, looks again once the newest of them would have
   * stalled. One timer at a time: one that fires early (a newer statement started meanwhile) only
   * sets the next.
   */
  private watchForStall(): void {
    const newest = this.running.at(-1);
    if (this.stallTimer || this.queue.length === 0 || newest === undefined) return;
    if (this.running.length >= this.maxInFlight) return;
    const wait = Math.max(0, newest + this.stallMs - performance.now());
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      this.drain();
    }, wait);
    this.stallTimer.unref();
  }

  private async run(batch: Pending<C, R>[]): Promise<void> {
    if (batch.length === 1) return this.single(batch[0]);
    this.stats.batches += 1;
    this.stats.batchedChanges += batch.length;
    let applied: Map<number, R>;
    try {
      applied = await this.applyBatch(batch.map((p) => p.change));
    } catch (err) {
      this.stats.failedBatches += 1;
      if (isConnectionError(err) || isTimeout(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      await Promise.all(batch.map((p) => this.single(p)));
      return;
    }
    await Promise.all(
      batch.map((p, ord) => {
        const result = applied.get(ord);
        if (result === undefined) return this.single(p);
        p.resolve(result);
        return undefined;
      }),
    );
  }

  private async single(p: Pending<C, R>): Promise<void> {
    try {
      // A caller that has gone (cancelled, past its deadline) while queued is not applied.
      if (p.change.signal?.aborted) throw new CallAbortedError();
      p.resolve(await this.applyOne(p.change));
    } catch (err) {
      p.reject(err);
    }
  }
}

/** One array per column of `rows` (each row the same length), for `unnest`. */
export function columns(rows: unknown[][]): unknown[][] {
  const out: unknown[][] = Array.from({ length: rows[0]?.length ?? 0 }, () => []);
  for (const row of rows) for (const [i, v] of row.entries()) out[i].push(v);
  return out;
}
