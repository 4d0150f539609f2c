import type { Exchange } from "../../lib/http.js";
import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";

/** Flow 3: two debits of 75 race on a balance of 100; exactly one wins. */
export async function flow3Race(s: Session): Promise<void> {
  heading(
    "Flow 3",
    "Race condition protection",
    "Two clients debit 75 at the same moment from a balance of 100. The wallet's conditional update lets only one through: with expectedVersion (compare-and-set) the loser gets 409 'Balance changed concurrently'; without it the debits apply one after the other and the loser gets 409 'Insufficient funds'. Never a negative balance.",
  );
  const sub = `race-${s.runId}`;
  const token = await s.token(sub);
  const created = await s.call("POST", "/api/wallets", { token, body: { currency: "USD" }, quiet: true });
  const walletId: string = created.body?.data?.id;
  const fund = (amount: number) =>
    s.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount },
      headers: { "idempotency-key": s.key("fund") },
      quiet: true,
    });
  const funded = await fund(100);
  say(
    `fresh user ${sub} with a USD wallet holding ${funded.body?.data?.balance} (version ${funded.body?.data?.version})`,
  );

  const race = async (extra: Record<string, unknown>) => {
    const both = await Promise.all(
      ["race1", "race2"].map((k) =>
        s.call("POST", "/api/wallets/debit", {
          token,
          body: { walletId, amount: 75, ...extra },
          headers: { "idempotency-key": s.key(k) },
          quiet: true,
        }),
      ),
    );
    for (const [i, res] of both.entries()) showBrief(`client ${i + 1}`, res);
    return both;
  };

  say("");
  say("a) both send expectedVersion: 1 (they both read version 1)");
  const cas = await race({ expectedVersion: funded.body?.data?.version });
  check(
    outcome(cas, "CONCURRENT_UPDATE"),
    "one 200, one 409 CONCURRENT_UPDATE 'Balance changed concurrently'",
  );

  await fund(75);
  say("");
  say("b) balance back to 100; both debit 75 without a version");
  const plain = await race({});
  check(outcome(plain, "INSUFFICIENT_FUNDS"), "one 200, one 409 INSUFFICIENT_FUNDS 'Insufficient funds'");
  const wallet = await s.call("GET", `/api/wallets/${walletId}`, { token, quiet: true });
  check(
    wallet.body?.data?.balance === 25,
    `final balance ${wallet.body?.data?.balance} (100 - 75 + 75 - 75): no lost update, no overdraft`,
  );
}

function outcome(both: Exchange[], code: string): boolean {
  const statuses = both.map((r) => r.status).sort();
  const loser = both.find((r) => r.status === 409);
  return statuses.join() === "200,409" && loser?.body?.error?.code === code;
}

function showBrief(who: string, res: Exchange): void {
  const data = res.body?.data;
  const detail = data ? `balance ${data.balance}` : `${res.body?.error?.code} "${res.body?.error?.message}"`;
  say(`  ${who}: POST ${res.path} {amount: 75} → ${res.status} ${detail}  (${res.ms.toFixed(1)} ms)`);
}
