import { HoldStatus } from "@wallet/contracts";
import type { Session } from "../session.js";
import { check, heading, say } from "../transcript.js";
import { watchWalletEvents } from "../walletEvents.js";

/** What Flow 12 refunds: the capture of Flow 10. */
export interface CapturedPayment {
  transactionId: string;
  amount: number;
}

const lower = (v: unknown) => String(v ?? "").toLowerCase();

/** Flow 10: hold → partial capture → the rest released; a second hold voided. */
export async function flow10Holds(s: Session): Promise<CapturedPayment | undefined> {
  heading(
    "Flow 10",
    "Authorize now, capture part later, release the rest",
    "A hold reserves funds: the wallet's availableBalance drops, its balance does not. Capturing 120 of a 300 hold debits 120 and releases the other 180 in the same commit; the hold has ended, so a second capture gets 409 HOLD_NOT_PENDING. Every transition is an event: HoldChanged on wallet.events.hold.<placed|captured|voided|expired>, plus TransactionCommitted for the capture's debit.",
  );
  const { token, walletId } = s.user;
  const events = await watchWalletEvents(s.config.natsUrl, s.config.natsAuth).catch((err: Error) => {
    say(`(cannot watch NATS at ${s.config.natsUrl}: ${err.message})`);
    return undefined;
  });
  try {
    await s.call("POST", "/api/wallets/credit", {
      token,
      body: { walletId, amount: 500, metadata: { ref: "flow-10-top-up" } },
      headers: { "idempotency-key": s.key("flow-10-top-up") },
      label: "top up so the hold has funds",
    });
    const before = (await s.call("GET", `/api/wallets/${walletId}`, { token })).body?.data;
    const placed = await s.call("POST", "/api/holds", {
      token,
      body: { walletId, amount: 300, metadata: { order: `order-${s.runId}` } },
      headers: { "idempotency-key": s.key("flow-10-hold") },
    });
    const hold = placed.body?.data;
    check(
      placed.status === 201 && lower(hold?.status) === "pending",
      `201: hold ${hold?.id} of 300 is pending`,
    );
    const during = (await s.call("GET", `/api/wallets/${walletId}`, { token })).body?.data;
    check(
      during?.balance === before?.balance &&
        during?.heldBalance === (before?.heldBalance ?? 0) + 300 &&
        during?.availableBalance === (before?.availableBalance ?? 0) - 300,
      `balance stays ${during?.balance}; heldBalance ${before?.heldBalance} → ${during?.heldBalance}; availableBalance ${before?.availableBalance} → ${during?.availableBalance}`,
    );
    const captured = await s.call("POST", `/api/holds/${hold?.id}/capture`, {
      token,
      body: { amount: 120 },
      headers: { "idempotency-key": s.key("flow-10-capture") },
    });
    const tx = captured.body?.data?.transaction;
    check(
      captured.status === 200 &&
        lower(captured.body?.data?.hold?.status) === "captured" &&
        captured.body?.data?.hold?.capturedAmount === 120 &&
        tx?.amount === 120,
      `200: captured 120 as debit ${tx?.id ?? tx?.transactionId}; the other 180 released`,
    );
    const after = (await s.call("GET", `/api/wallets/${walletId}`, { token })).body?.data;
    check(
      after?.balance === (before?.balance ?? 0) - 120 && after?.heldBalance === before?.heldBalance,
      `balance ${before?.balance} → ${after?.balance}, heldBalance back to ${after?.heldBalance}`,
    );
    const again = await s.call("POST", `/api/holds/${hold?.id}/capture`, {
      token,
      body: { amount: 10 },
      headers: { "idempotency-key": s.key("flow-10-capture-again") },
    });
    check(
      again.status === 409 && again.body?.error?.code === "HOLD_NOT_PENDING",
      "409 HOLD_NOT_PENDING: a hold ends exactly once",
    );
    const second = await s.call("POST", "/api/holds", {
      token,
      body: { walletId, amount: 50 },
      headers: { "idempotency-key": s.key("flow-10-hold-2") },
      label: "a second hold, then void it",
    });
    const voided = await s.call("POST", `/api/holds/${second.body?.data?.id}/void`, {
      token,
      body: {},
      headers: { "idempotency-key": s.key("flow-10-void") },
    });
    check(
      voided.status === 200 &&
        lower(voided.body?.data?.hold?.status ?? voided.body?.data?.status) === "voided",
      "200: voided; its 50 are available again",
    );
    const transitions = await Promise.all([
      events?.holds.find((e) => e.hold?.id === hold?.id && e.hold?.status === HoldStatus.HOLD_STATUS_PENDING),
      events?.holds.find(
        (e) => e.hold?.id === hold?.id && e.hold?.status === HoldStatus.HOLD_STATUS_CAPTURED,
      ),
      events?.transactions.find((e) => e.holdId === hold?.id),
      events?.holds.find(
        (e) => e.hold?.id === second.body?.data?.id && e.hold?.status === HoldStatus.HOLD_STATUS_VOIDED,
      ),
    ]);
    for (const t of transitions)
      if (t) say(`NATS ${t.subject}, Nats-Msg-Id ${t.headers?.get("Nats-Msg-Id")}`);
    check(
      transitions.every((t) => t !== undefined) &&
        new Set(transitions.map((t) => t?.headers?.get("Nats-Msg-Id"))).size === 4,
      "events: hold placed, capture debit (TransactionCommitted with holdId), hold captured, second hold voided; each with its own id",
    );
    const id = tx?.id ?? tx?.transactionId;
    return id ? { transactionId: id, amount: 120 } : undefined;
  } finally {
    await events?.close();
  }
}

/** Flow 11: a hold nobody captures expires at its time, by the wallet itself. */
export async function flow11Expiry(s: Session): Promise<void> {
  heading(
    "Flow 11",
    "A hold expires on its own",
    "A hold placed with expiresInSeconds: 2 is never captured. The wallet sweeps due holds every HOLD_EXPIRY_INTERVAL_MS (1 s) with no request: the hold becomes expired, its funds available again, and HoldChanged arrives on wallet.events.hold.expired.",
  );
  const { token, walletId } = s.user;
  const events = await watchWalletEvents(s.config.natsUrl, s.config.natsAuth).catch(() => undefined);
  try {
    const placed = await s.call("POST", "/api/holds", {
      token,
      body: { walletId, amount: 25, expiresInSeconds: 2 },
      headers: { "idempotency-key": s.key("flow-11-hold") },
    });
    const id = placed.body?.data?.id;
    check(placed.status === 201, `201: hold ${id} of 25, expires at ${placed.body?.data?.expiresAt}`);
    const expired = await events?.holds.find(
      (e) => e.hold?.id === id && e.hold?.status === HoldStatus.HOLD_STATUS_EXPIRED,
      10_000,
    );
    if (expired) say(`NATS ${expired.subject} after the expiry, with no request`);
    const got = await s.call("GET", `/api/holds/${id}`, { token });
    check(
      expired !== undefined && lower(got.body?.data?.status) === "expired",
      "the hold is expired, by the wallet itself",
    );
    const late = await s.call("POST", `/api/holds/${id}/capture`, {
      token,
      body: {},
      headers: { "idempotency-key": s.key("flow-11-capture") },
    });
    check(
      late.status === 409 && late.body?.error?.code === "HOLD_NOT_PENDING",
      "a late capture: 409 HOLD_NOT_PENDING",
    );
  } finally {
    await events?.close();
  }
}

/** Flow 12: refund part of Flow 10's captured payment, then the rest; a third refund is refused. */
export async function flow12Refund(s: Session, payment: CapturedPayment | undefined): Promise<void> {
  heading(
    "Flow 12",
    "Refund a payment, in part and then in full",
    "A reversal is a new transaction linked to the original (reversalOf); the total reversed never exceeds the original. Refunding a debit brings money back from outside, so it needs the credit scope like a credit (the demo's tokens carry it). Each reversal is a TransactionCommitted event.",
  );
  if (!payment) throw new Error("Flow 10 captured nothing to refund");
  const { token } = s.user;
  const events = await watchWalletEvents(s.config.natsUrl, s.config.natsAuth).catch(() => undefined);
  try {
    const part = await s.call("POST", `/api/transactions/${payment.transactionId}/reversals`, {
      token,
      body: { amount: 20, metadata: { reason: "one item returned" } },
      headers: { "idempotency-key": s.key("flow-12-refund-part") },
    });
    const first = part.body?.data?.reversal;
    check(
      part.status === 201 && first?.amount === 20 && first?.reversalOf === payment.transactionId,
      `201: refund of 20 as ${first?.type} ${first?.id}, reversalOf ${first?.reversalOf}`,
    );
    const rest = await s.call("POST", `/api/transactions/${payment.transactionId}/reversals`, {
      token,
      body: {},
      headers: { "idempotency-key": s.key("flow-12-refund-rest") },
    });
    check(
      rest.status === 201 && rest.body?.data?.reversal?.amount === payment.amount - 20,
      `201: no amount refunds the rest, ${rest.body?.data?.reversal?.amount}`,
    );
    const more = await s.call("POST", `/api/transactions/${payment.transactionId}/reversals`, {
      token,
      body: { amount: 1 },
      headers: { "idempotency-key": s.key("flow-12-refund-more") },
    });
    check(
      more.status === 409 && more.body?.error?.code === "AMOUNT_EXCEEDS_REMAINING",
      "409 AMOUNT_EXCEEDS_REMAINING: nothing left to refund",
    );
    const seen = await events?.transactions.find(
      (e) => e.reversalOf === payment.transactionId && e.amount === 20n,
    );
    if (seen)
      say(
        `NATS ${seen.subject}: ${seen.event.amount} ${seen.event.currency}, reversalOf ${seen.event.reversalOf}`,
      );
    check(seen !== undefined, "the refund's TransactionCommitted event carries reversalOf");
  } finally {
    await events?.close();
  }
}
