import type { Exchange } from "../../lib/http.js";
import type { Session } from "../session.js";
import { check, clip, dim, heading, say } from "../transcript.js";

/**
 * Flow 7 of docs/flows.md: every row of its error table, one request each, plus a
 * plain user token (without the credit scope) refused on credit.
 */
export async function flow7Errors(s: Session): Promise<void> {
  heading(
    "Flow 7",
    "Error scenarios",
    "Each failure has one status and one machine code in the envelope {error: {code, message, requestId}}; the requestId is the x-request-id to look for in the logs.",
  );
  const token = await s.token(`errors-${s.runId}`);
  const usd = await s.call("POST", "/api/wallets", { token, body: { currency: "USD" }, quiet: true });
  const eur = await s.call("POST", "/api/wallets", { token, body: { currency: "EUR" }, quiet: true });
  const walletId: string = usd.body?.data?.id;
  await s.call("POST", "/api/wallets/credit", {
    token,
    body: { walletId, amount: 100 },
    headers: { "idempotency-key": s.key("fund") },
    quiet: true,
  });
  say(`fresh user errors-${s.runId}: a USD wallet with balance 100 and an empty EUR wallet`);
  const post = (path: string, body: unknown, key: string | null = s.key("err")) =>
    s.call("POST", path, { token, body, headers: key ? { "idempotency-key": key } : {}, quiet: true });

  const row = (scenario: string, request: string, res: Exchange, status: number, code: string) => {
    const got = `${res.status} ${res.body?.error?.code ?? ""}`.trim();
    say("");
    say(`${scenario.padEnd(18)} ${dim(request)}`);
    say(`${"".padEnd(18)} ← ${got} ${dim(clip(JSON.stringify(res.body?.error?.message ?? ""), 70))}`);
    check(res.status === status && res.body?.error?.code === code, `${status} ${code}`);
  };

  row(
    "Invalid JWT",
    "GET /api/wallets  Authorization: Bearer bad",
    await s.call("GET", "/api/wallets", { headers: { authorization: "Bearer bad" }, quiet: true }),
    401,
    "UNAUTHORIZED",
  );
  const plain = await s.token(`errors-${s.runId}`, undefined, "");
  row(
    "No credit scope",
    `credit with a plain user token (no ${s.config.creditScope})`,
    await s.call("POST", "/api/wallets/credit", {
      token: plain,
      body: { walletId, amount: 1_000_000 },
      headers: { "idempotency-key": s.key("no-scope") },
      quiet: true,
    }),
    403,
    "FORBIDDEN",
  );
  const after = await s.call("GET", `/api/wallets/${walletId}`, { token: plain, quiet: true });
  check(
    after.body?.data?.balance === 100,
    "nothing was credited: the balance is still 100 (debits need no scope)",
  );
  row(
    "Wrong wallet",
    "debit walletId=wrong",
    await post("/api/wallets/debit", { walletId: "wrong", amount: 1 }),
    404,
    "WALLET_NOT_FOUND",
  );
  row(
    "Overdraw",
    "debit amount=200 (balance=100)",
    await post("/api/wallets/debit", { walletId, amount: 200 }),
    409,
    "INSUFFICIENT_FUNDS",
  );
  row(
    "Schema violation",
    "credit amount=-10",
    await post("/api/wallets/credit", { walletId, amount: -10 }),
    400,
    "VALIDATION_FAILED",
  );
  row(
    "Duplicate wallet",
    "POST /api/wallets currency=USD (2nd)",
    await post("/api/wallets", { currency: "USD" }, null),
    409,
    "WALLET_EXISTS",
  );

  const both = await Promise.all(
    [1, 2].map(() => post("/api/wallets/debit", { walletId, amount: 10, expectedVersion: 1 })),
  );
  say("");
  say(`${"Concurrent update".padEnd(18)} ${dim("2x debit simultaneously (expectedVersion=1)")}`);
  say(`${"".padEnd(18)} ← ${both.map((r) => `${r.status} ${r.body?.error?.code ?? ""}`.trim()).join(", ")}`);
  check(
    both
      .map((r) => r.status)
      .sort()
      .join() === "200,409" && both.some((r) => r.body?.error?.code === "CONCURRENT_UPDATE"),
    "1x 200, 1x 409 CONCURRENT_UPDATE",
  );

  const key = s.key("reused");
  await post("/api/wallets/debit", { walletId, amount: 1 }, key);
  row(
    "Key reused",
    "same Idempotency-Key, amount 1 then 2",
    await post("/api/wallets/debit", { walletId, amount: 2 }, key),
    422,
    "IDEMPOTENCY_KEY_REUSED",
  );
  row(
    "No key",
    "debit without Idempotency-Key",
    await post("/api/wallets/debit", { walletId, amount: 1 }, null),
    400,
    "VALIDATION_FAILED",
  );
  row(
    "Currency mismatch",
    "transfer USD → EUR",
    await post("/api/transfers", { fromWalletId: walletId, toWalletId: eur.body?.data?.id, amount: 1 }),
    409,
    "CURRENCY_MISMATCH",
  );
}
