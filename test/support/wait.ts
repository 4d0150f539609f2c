import { vi } from "vitest";

/**
 * Polls `check` (vitest's `vi.waitFor`) until it returns true, failing with `what` after
 * the timeout. For a check that is an assertion, call `vi.waitFor` or `expect.poll` directly.
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 25 },
  );
}
