import type { Exchange } from "../../lib/http.js";
import type { Session } from "../session.js";
import { check, heading, say, showExchange } from "../transcript.js";

const MAX_REQUESTS = 1000;

/** Flow 6: a fresh subject spends its budget; every answer carries x-ratelimit-*, the one over gets 429. */
export async function flow6RateLimit(s: Session): Promise<void> {
  heading(
    "Flow 6",
    "Rate limiting + headers",
    "Each subject (JWT sub; client IP without a token) has a budget per window in Redis, shared by every gateway replica (default 100 per minute). Every limited answer says where you stand; the request over the budget gets 429 with Retry-After.",
  );
  const sub = `ratelimit-${s.runId}`;
  const token = await s.token(sub);
  const path = "/api/wallets";
  const first = await s.call("GET", path, { token });
  const limit = Number(first.headers.get("x-ratelimit-limit"));
  if (!(limit > 0 && limit < MAX_REQUESTS)) {
    check(
      false,
      `x-ratelimit-limit is ${first.headers.get("x-ratelimit-limit")}; the demo spends at most ${MAX_REQUESTS}`,
    );
    return;
  }
  say(`fresh subject ${sub}: sending ${limit} more requests…`);
  const remaining = [Number(first.headers.get("x-ratelimit-remaining"))];
  let last: Exchange = first;
  let over: Exchange | undefined;
  for (let i = 1; i <= limit; i++) {
    const res = await s.call("GET", path, { token, quiet: true });
    if (res.status === 429) {
      over = res;
      break;
    }
    last = res;
    remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
  }
  showExchange(last, { label: `#${remaining.length}` });
  if (over) showExchange(over, { label: `#${remaining.length + 1}` });
  check(remaining.length === limit, `requests 1-${limit}: 200 (${remaining.length} answered 200)`);
  check(
    remaining.every((r, i) => r === limit - 1 - i),
    `x-ratelimit-remaining counts down ${remaining[0]}, ${remaining[1]}, … ${remaining.at(-1)}`,
  );
  check(
    over?.status === 429 && over.body?.error?.code === "RATE_LIMITED",
    `request ${limit + 1}: 429 RATE_LIMITED`,
  );
  check(
    Number(over?.headers.get("retry-after")) > 0 && Number(over?.headers.get("x-ratelimit-reset")) > 0,
    `with Retry-After: ${over?.headers.get("retry-after")} s and x-ratelimit-reset: ${over?.headers.get("x-ratelimit-reset")}`,
  );
}
