import { randomUUID } from "node:crypto";
import type { Collection, Filter } from "mongodb";
import type { OutboxEvent } from "../../domain/model.js";
import { eventIdFloor } from "../../outbox/retention.js";
import { type OutboxDoc, toOutboxEvent } from "./documents.js";

const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

/*
 * Claiming takes three steps because MongoDB has no UPDATE ... LIMIT ... SKIP
 * LOCKED: pick candidate ids, then lease them with a token in one updateMany
 * (each document's filter is re-checked atomically as it is written, so a row
 * two sweepers race for goes to exactly one), then read back what this token
 * won. All times are the server's ($$NOW), like PostgreSQL's now().
 */
export async function claimUnpublished(
  outbox: Collection<OutboxDoc>,
  limit: number,
  minAgeMs: number,
  leaseMs: number,
): Promise<OutboxEvent[]> {
  const claimable: Filter<OutboxDoc> = {
    pending: true,
    $expr: {
      $and: [
        { $lte: ["$createdAt", { $subtract: ["$$NOW", minAgeMs] }] },
        { $lt: ["$claimedUntil", "$$NOW"] },
      ],
    },
  };
  const candidates = await outbox
    .find(claimable, { projection: { _id: 1 } })
    .sort(OLDEST_FIRST)
    .limit(limit)
    .toArray();
  if (candidates.length === 0) return [];
  const ids = candidates.map((c) => c._id);
  const token = randomUUID();
  await outbox.updateMany({ _id: { $in: ids }, ...claimable }, [
    { $set: { claimedUntil: { $add: ["$$NOW", leaseMs] }, claimToken: token } },
  ]);
  const claimed = await outbox
    .find({ _id: { $in: ids }, claimToken: token })
    .sort(OLDEST_FIRST)
    .toArray();
  return claimed.map(toOutboxEvent);
}

export async function markPublished(outbox: Collection<OutboxDoc>, eventIds: string[]): Promise<void> {
  await outbox.updateMany(
    { _id: { $in: eventIds }, pending: true },
    { $unset: { pending: "", claimToken: "" }, $currentDate: { publishedAt: true } },
  );
}

export function countUnpublished(outbox: Collection<OutboxDoc>): Promise<number> {
  return outbox.countDocuments({ pending: true });
}

/*
 * Published rows created before `createdBefore`, oldest first, by a range of _id
 * (UUIDv7 strings sort by creation time). Deletes take document-level locks only and
 * re-check the filter, so a row is never deleted while still pending.
 */
export async function pruneOutbox(
  outbox: Collection<OutboxDoc>,
  createdBefore: Date,
  limit: number,
): Promise<number> {
  const published: Filter<OutboxDoc> = {
    _id: { $lt: eventIdFloor(createdBefore) },
    pending: { $exists: false },
  };
  const rows = await outbox
    .find(published, { projection: { _id: 1 } })
    .sort({ _id: 1 })
    .limit(limit)
    .toArray();
  if (rows.length === 0) return 0;
  const { deletedCount } = await outbox.deleteMany({ ...published, _id: { $in: rows.map((r) => r._id) } });
  return deletedCount;
}
