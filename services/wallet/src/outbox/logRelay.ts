import { randomUUID } from "node:crypto";
import type { OutboxEvent } from "../domain/model.js";
import { StoppableLoop } from "../stoppableLoop.js";
import type { OutboxLog, OutboxPosition } from "../store/port.js";
import { eventCommittedAt } from "./eventCodec.js";
import type { Relay, RelayContext } from "./outboxRelay.js";

/** How often the cursor holder reads the log while it finds events it did not publish itself. */
const TAIL_MS = 50;
/**
 * How often otherwise: its own events are already out (this read only moves the cursor
 * over them), so reading less often costs nothing but a later cursor write; another
 * replica's first event after a quiet spell waits at most this long.
 */
const TAIL_OWN_MS = 250;
/** The cursor row is written at most this often while events flow (and when the log goes idle). */
const ADVANCE_MS = 200;
/** Own publishes remembered at most; beyond this the tailer publishes them from the log. */
const MAX_LOCAL = 8192;
/** A remembered publish the tailer has not reached by then is forgotten (it republishes it if needed). */
const LOCAL_TTL_MS = 30_000;

enum Local {
  InFlight = 0,
  Acked = 1,
}

/**
 * Relay for a store whose outbox is a log with one cursor (PostgreSQL). One replica
 * at a time holds the cursor's lease. It publishes its own events right after commit
 * (remembering which were acked) and tails the log: in commit order, every event
 * after the cursor is either known acked, or published from the log and awaited;
 * then the cursor moves past it. No row is updated per event. The other replicas
 * publish nothing and wait to take the lease over (when it lapses: crash, NATS lost,
 * or shutdown). Publishing again what a previous holder already published is safe:
 * the stream drops it by Nats-Msg-Id within its duplicate window, and the cursor is
 * written every ADVANCE_MS, far inside that window.
 */
export class LogRelay implements Relay {
  private readonly owner = randomUUID();
  private holding = false;
  /** Everything up to here is published; the durable cursor may lag behind it. */
  private readPos?: OutboxPosition;
  private durablePos?: OutboxPosition;
  private lastWrite = 0;
  private readonly local = new Map<string, { state: Local; at: number }>();
  /** Bumped whenever `local` is reset, so late acks of a previous tenure are ignored. */
  private tenure = 0;
  private readonly tailing = new StoppableLoop();
  private failedRounds = 0;
  private publishFailed = false;
  /** The last round published events from the log (another replica's, or left behind). */
  private foundOthers = false;

  constructor(
    private readonly log: OutboxLog,
    private readonly ctx: RelayContext,
  ) {}

  committed(events: OutboxEvent[]): void {
    if (!this.holding || this.tailing.stopped || this.local.size >= MAX_LOCAL) return;
    const nc = this.ctx.link.connection();
    if (!nc) return;
    const tenure = this.tenure;
    const at = Date.now();
    for (const event of events) {
      const id = event.eventId;
      this.local.set(id, { state: Local.InFlight, at });
      this.ctx.publisher.publish(nc, event, (ok, duplicate) => {
        if (tenure !== this.tenure) return;
        if (ok) {
          this.acked(event, duplicate);
          const entry = this.local.get(id);
          if (entry) entry.state = Local.Acked;
        } else {
          this.ctx.metrics.publishFailures.inc();
          this.local.delete(id); // the tailer publishes it from the log
        }
      });
    }
  }

  start(): void {
    this.tailing.start(() => this.loop());
  }

  /** Stops tailing, records what was published, and gives the lease up. */
  async stop(): Promise<void> {
    await this.tailing.stop();
    await this.ctx.publisher.settled();
    if (this.holding && this.ctx.link.connection()) {
      await this.round(true).catch(() => false);
      await this.log.release(this.owner).catch(() => {});
    }
    this.holding = false;
    this.ctx.metrics.cursorHeld.set(0);
  }

  private async loop(): Promise<void> {
    while (!this.tailing.stopped) {
      let more = false;
      let wait = this.ctx.options.sweepIntervalMs;
      try {
        if (await this.hold()) {
          this.publishFailed = false;
          more = await this.round(false);
          // After failed publishes, retry at the sweep pace rather than the tail pace.
          if (!this.publishFailed) wait = this.foundOthers ? TAIL_MS : TAIL_OWN_MS;
        }
        this.failedRounds = 0;
      } catch (err) {
        // Store unreachable: money movement reports it; here it only delays publishing.
        if (this.failedRounds++ % 30 === 0) this.ctx.logger.warn({ err }, "outbox relay round failed");
      }
      if (!more && !this.tailing.stopped) await this.tailing.pause(wait);
    }
  }

  /** Takes, keeps or gives up the lease; true while this replica holds it and NATS is usable. */
  private async hold(): Promise<boolean> {
    if (!this.ctx.link.connection()) {
      if (this.holding) {
        this.drop();
        await this.log.release(this.owner);
        this.ctx.logger.info("NATS unreachable: outbox cursor released");
      }
      return false;
    }
    const renewEvery = this.ctx.options.cursorLeaseMs / 3;
    if (this.holding && Date.now() - this.lastWrite < renewEvery) return true;
    const cursor = await this.log.acquire(this.owner, this.ctx.options.cursorLeaseMs);
    this.lastWrite = Date.now();
    if (!cursor) {
      if (this.holding) {
        this.drop();
        this.ctx.logger.warn("outbox cursor lease lost to another replica");
      }
      return false;
    }
    if (!this.holding) {
      this.holding = true;
      this.ctx.metrics.cursorHeld.set(1);
      this.readPos = cursor;
      this.durablePos = cursor;
      this.ctx.logger.info("outbox cursor taken: this replica publishes events");
    }
    return true;
  }

  private drop(): void {
    this.holding = false;
    this.ctx.metrics.cursorHeld.set(0);
    this.tenure++;
    this.local.clear();
    this.readPos = this.durablePos = undefined;
  }

  /**
   * Reads the next events after readPos and publishes those not known to be acked,
   * stopping before the first one still in flight on the immediate path. Moves
   * readPos over the published prefix and writes the cursor when due. True when a
   * full batch went through (read again at once).
   */
  private async round(final: boolean): Promise<boolean> {
    const from = this.readPos;
    if (!from) return false;
    const tenure = this.tenure;
    const rows = await this.log.readAfter(from, this.ctx.options.batchSize);
    let prefix = rows.length;
    const unknown: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const known = this.local.get(rows[i].eventId);
      if (known?.state === Local.Acked) continue;
      if (known?.state === Local.InFlight) {
        prefix = i;
        break;
      }
      unknown.push(rows[i].eventId);
    }
    // Only events nobody here published are loaded in full (other replicas', a crash's, an outage's).
    let failed = new Set<string>();
    this.foundOthers = unknown.length > 0;
    if (unknown.length > 0) {
      const events = await this.log.events(unknown);
      if (events.length !== unknown.length) throw new Error("outbox rows after the cursor went missing");
      const byId = new Map(events.map((e) => [e.eventId, e]));
      failed = await this.publishAll(unknown.map((id) => byId.get(id)!));
    }
    if (tenure !== this.tenure) return false;
    // Up to (not including) the first failure, everything in the prefix is published.
    let reached = 0;
    while (reached < prefix && !failed.has(rows[reached].eventId)) reached++;
    for (let i = 0; i < reached; i++) this.local.delete(rows[i].eventId);
    if (reached > 0) this.readPos = rows[reached - 1].position;
    this.forgetStale();
    const moved = this.readPos !== this.durablePos;
    const idle = rows.length < this.ctx.options.batchSize;
    if (moved && (final || idle || Date.now() - this.lastWrite >= ADVANCE_MS)) {
      const to = this.readPos!;
      const kept = await this.log.advance(this.owner, to, this.ctx.options.cursorLeaseMs);
      this.lastWrite = Date.now();
      if (!kept) {
        this.drop();
        this.ctx.logger.warn("outbox cursor lease lost to another replica");
        return false;
      }
      if (tenure === this.tenure) this.durablePos = to;
    }
    if (failed.size > 0) {
      this.publishFailed = true;
      this.ctx.logger.warn({ failed: failed.size }, "event publishes failed, retried from the log");
      return false;
    }
    return !final && reached === rows.length && rows.length === this.ctx.options.batchSize;
  }

  /** Publishes from the log and waits for every ack; returns the ids that failed. */
  private publishAll(events: OutboxEvent[]): Promise<Set<string>> {
    const failed = new Set<string>();
    const nc = this.ctx.link.connection();
    if (!nc) return Promise.resolve(new Set(events.map((e) => e.eventId)));
    return new Promise((resolve) => {
      let waiting = events.length;
      for (const event of events) {
        this.ctx.publisher.publish(nc, event, (ok, duplicate) => {
          if (ok) {
            this.acked(event, duplicate);
            this.ctx.metrics.swept.inc();
          } else {
            this.ctx.metrics.publishFailures.inc();
            failed.add(event.eventId);
          }
          if (--waiting === 0) resolve(failed);
        });
      }
    });
  }

  private acked(event: OutboxEvent, duplicate: boolean): void {
    this.ctx.metrics.published.inc({ duplicate: duplicate ? "true" : "false" });
    this.ctx.metrics.commitToAck.observe((Date.now() - eventCommittedAt(event).getTime()) / 1000);
  }

  /** Entries are in insertion order: drop the ones the tailer never reached (it read the row first). */
  private forgetStale(): void {
    const limit = Date.now() - LOCAL_TTL_MS;
    for (const [id, entry] of this.local) {
      if (entry.at > limit) break;
      this.local.delete(id);
    }
  }
}
