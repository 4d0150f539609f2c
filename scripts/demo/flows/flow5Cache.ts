import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";

/** Flow 5: the first history read goes to the wallet (MISS), the second comes from Redis (HIT). */
export async function flow5Cache(s: Session): Promise<void> {
  heading(
    "Flow 5",
    "Caching layer (transaction history)",
    "GET /api/transactions reads through a Redis cache (TTL 30 s). The first read after a write is a MISS (a write through the gateway, or the wallet's event for any write, makes the wallet's cached pages stale); the next one is a HIT.",
  );
  const path = `/api/transactions?walletId=${s.user.walletId}&limit=10`;
  const miss = await s.call("GET", path, { token: s.user.token });
  const hit = await s.call("GET", path, { token: s.user.token });
  check(
    miss.status === 200 && miss.headers.get("x-cache") === "MISS",
    "first read: x-cache MISS (from the wallet over gRPC)",
  );
  check(hit.status === 200 && hit.headers.get("x-cache") === "HIT", "second read: x-cache HIT (from Redis)");
  check(hit.text === miss.text, "same page both times");
  say(`timings: MISS ${miss.ms.toFixed(1)} ms, HIT ${hit.ms.toFixed(1)} ms (expected: ~50 ms vs ~1 ms)`);

  await s.call("POST", "/api/wallets/credit", {
    token: s.user.token,
    body: { walletId: s.user.walletId, amount: 1 },
    headers: { "idempotency-key": s.key("flow-5") },
    quiet: true,
  });
  const after = await s.call("GET", path, { token: s.user.token, quiet: true });
  check(
    after.headers.get("x-cache") === "MISS" && after.body?.data?.items?.[0]?.amount === 1,
    "after a credit of 1 the next read is a MISS and shows it first: a write is visible on the very next read",
  );
}
