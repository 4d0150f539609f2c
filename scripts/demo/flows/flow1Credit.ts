import type { Exchange } from "../../lib/http.js";
import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";
import { watchWalletEvents } from "../walletEvents.js";

/** The credit of Flow 1, which Flow 2 sends again. */
export interface FirstCredit {
  request: Parameters<Session["call"]>;
  response: Exchange;
}

/** Flow 1: a credit goes through rate limit, JWT and idempotency, commits, and its event reaches NATS. */
export async function flow1Credit(s: Session): Promise<FirstCredit> {
  heading(
    "Flow 1",
    "Complete wallet transaction lifecycle",
    "Credit 100 cents with an Idempotency-Key. The gateway checks the rate limit, the JWT and the key, then calls the wallet over gRPC; the wallet updates the balance and writes the transaction and an outbox row in one database transaction, answers, and publishes TransactionCommitted to NATS for the notifier.",
  );
  const { token, walletId } = s.user;
  const before = await s.call("GET", `/api/wallets/${walletId}`, { token });
  const balance: number = before.body?.data?.balance;
  const events = await watchWalletEvents(s.config.natsUrl, s.config.natsAuth).catch((err: Error) => {
    say(`(cannot watch NATS at ${s.config.natsUrl}: ${err.message})`);
    return undefined;
  });
  try {
    const request: Parameters<Session["call"]> = [
      "POST",
      "/api/wallets/credit",
      {
        token,
        body: { walletId, amount: 100, metadata: { ref: "order-456" } },
        headers: { "idempotency-key": s.key("detailed-flow-1") },
      },
    ];
    const res = await s.call(...request);
    const tx = res.body?.data;
    check(
      res.status === 200 && tx?.balance === balance + 100,
      `200 with transaction ${tx?.transactionId}; balance ${balance} → ${tx?.balance}`,
    );
    const seen = await events?.transactions.find((e) => e.transactionId === tx?.transactionId);
    if (seen) {
      say(
        `NATS wallet.events.transaction.committed: ${seen.event.amount} ${seen.event.currency} credit, balance after ${seen.event.balanceAfter}, Nats-Msg-Id ${seen.headers?.get("Nats-Msg-Id")}`,
      );
    }
    check(
      seen !== undefined && seen.headers?.get("x-request-id") === res.headers.get("x-request-id"),
      "its TransactionCommitted event is on NATS, carrying the request's x-request-id (the notifier delivers it next)",
    );
    return { request, response: res };
  } finally {
    await events?.close();
  }
}
