/**
 * Delay before the next delivery of a message whose `attempt`-th delivery failed:
 * base, 2·base, 4·base … (2 s, 4 s, 8 s, 16 s with the default base, as in Flow 4),
 * capped so a large max_deliver cannot schedule a retry days away.
 */
export function redeliveryDelayMs(attempt: number, baseMs: number, capMs = 15 * 60_000): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(baseMs * 2 ** exponent, capMs);
}
