import type { Session } from "../session.js";
import { check, clip, heading, say } from "../transcript.js";

const TRANSACTIONS = 12;
const PAGE = 5;

/** Flow 8: history in pages of 5, newest first, following nextCursor until it is null. */
export async function flow8Pagination(s: Session): Promise<void> {
  heading(
    "Flow 8",
    "Pagination (transaction history)",
    "Pages are newest first; nextCursor is an opaque string to pass back as `cursor`, null on the last page. Writes between pages never shift a later page (no duplicates, no gaps).",
  );
  const token = await s.token(`pages-${s.runId}`);
  const created = await s.call("POST", "/api/wallets", { token, body: { currency: "USD" }, quiet: true });
  const walletId: string = created.body?.data?.id;
  for (let amount = 1; amount <= TRANSACTIONS; amount++) {
    await s.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount },
      headers: { "idempotency-key": s.key("page") },
      quiet: true,
    });
  }
  say(`fresh user pages-${s.runId}: ${TRANSACTIONS} credits of 1, 2, … ${TRANSACTIONS}`);

  const pages: number[][] = [];
  let cursor: string | null = "";
  while (cursor !== null && pages.length < 10) {
    const query: string = `walletId=${walletId}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await s.call("GET", `/api/transactions?${query}`, { token, quiet: true });
    if (res.status !== 200) {
      check(false, `page ${pages.length + 1}: ${res.status} ${res.text}`);
      return;
    }
    const amounts: number[] = res.body.data.items.map((t: { amount: number }) => t.amount);
    pages.push(amounts);
    const shownCursor = cursor ? clip(cursor, 24) : "(none)";
    cursor = res.body.data.nextCursor;
    say(
      `GET …&limit=${PAGE}&cursor=${shownCursor.padEnd(26)} → ${res.status} items[${amounts.length}] amounts ${amounts.join(", ").padEnd(18)} nextCursor=${cursor === null ? "null" : clip(cursor, 24)}`,
    );
  }
  const all = pages.flat();
  check(
    pages.map((p) => p.length).join() === "5,5,2",
    `pages of ${pages.map((p) => p.length).join(", ")} items, nextCursor null at the end`,
  );
  check(
    all.join() === Array.from({ length: TRANSACTIONS }, (_, i) => TRANSACTIONS - i).join(),
    "newest first, every transaction exactly once",
  );
}
