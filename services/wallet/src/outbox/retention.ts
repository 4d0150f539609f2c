/**
 * The smallest UUIDv7 of the millisecond `date`: event ids are UUIDv7 (their first
 * 48 bits are the creation time in Unix milliseconds), so "created before `date`" is
 * the key range `event_id < eventIdFloor(date)`, an index range scan in both stores.
 */
export function eventIdFloor(date: Date): string {
  const ms = Math.max(0, Math.min(date.getTime(), 2 ** 48 - 1));
  const hex = ms.toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}
