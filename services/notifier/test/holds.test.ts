import { HoldChanged, HoldStatus } from "@wallet/contracts";
import { DLQ_STREAM, EVENTS_STREAM, HOLD_STATUS_SUBJECT } from "@wallet/runtime";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { waitUntil } from "../../../test/support/wait.js";
import { DEAD_LETTER_HEADERS, deadLetterSubject } from "../src/index.js";
import { holdChanged, publishEvent, publishHoldEvent, transactionCommitted } from "./support/events.js";
import { allChannelsPerSuite, settle, WEBHOOK_SECRET } from "./support/harness.js";

describe("notifier hold events", () => {
  const suite = allChannelsPerSuite();

  it("holds - every hold transition is delivered once on every channel, signed, with its type and fields", async () => {
    const placed = holdChanged({
      status: HoldStatus.HOLD_STATUS_PENDING,
      capturedAmount: 0n,
      captureTransactionId: "",
      endedAt: undefined,
    });
    const captured = holdChanged({
      amount: 9_007_199_254_740_993n,
      capturedAmount: 700n,
      destinationWalletId: "wal_shop",
    });
    const voided = holdChanged({
      status: HoldStatus.HOLD_STATUS_VOIDED,
      capturedAmount: 0n,
      captureTransactionId: "",
    });
    const expired = holdChanged(
      { status: HoldStatus.HOLD_STATUS_EXPIRED, capturedAmount: 0n, captureTransactionId: "" },
      { ownerEmail: "" },
    );
    const credit = transactionCommitted();
    const holds = [placed, captured, voided, expired];
    for (const ev of holds) await publishHoldEvent(suite.fx.js, ev);
    await publishEvent(suite.fx.js, credit);

    await waitUntil("all webhooks", () => suite.receiver.received.length >= 5);
    await waitUntil("all emails", () => suite.smtp.received.length >= 4);
    await waitUntil("all acked", async () => {
      const info = await suite.fx.jsm.consumers.info(EVENTS_STREAM, "notifier");
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    await settle(500);

    expect(suite.receiver.received).toHaveLength(5);
    const verifier = new Webhook(WEBHOOK_SECRET);
    const bodies = new Map(
      suite.receiver.received.map((r) => [
        r.headers["webhook-id"],
        verifier.verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          timestamp: string;
          data: Record<string, unknown>;
        },
      ]),
    );
    expect(bodies.get(credit.eventId)?.type).toBe("wallet.transaction.committed");
    expect(holds.map((ev) => bodies.get(ev.eventId)?.type)).toEqual([
      "wallet.hold.placed",
      "wallet.hold.captured",
      "wallet.hold.voided",
      "wallet.hold.expired",
    ]);
    const h = captured.hold!;
    expect(bodies.get(captured.eventId)).toEqual({
      type: "wallet.hold.captured",
      timestamp: captured.occurredAt!.toISOString(),
      data: {
        eventId: captured.eventId,
        holdId: h.id,
        walletId: "wal_test",
        ownerId: "alice",
        ownerEmail: "alice@example.test",
        status: "CAPTURED",
        amount: "9007199254740993",
        currency: "USD",
        capturedAmount: "700",
        captureTransactionId: h.captureTransactionId,
        destinationWalletId: "wal_shop",
        expiresAt: h.expiresAt!.toISOString(),
        createdAt: h.createdAt!.toISOString(),
        endedAt: h.endedAt!.toISOString(),
        occurredAt: captured.occurredAt!.toISOString(),
        metadata: { order: "o-1" },
      },
    });
    expect(bodies.get(placed.eventId)?.data).toMatchObject({
      status: "PENDING",
      capturedAmount: "0",
      captureTransactionId: null,
      destinationWalletId: null,
      endedAt: null,
    });
    const tampered = suite.receiver.received.find((r) => r.headers["webhook-id"] === captured.eventId)!;
    expect(() =>
      verifier.verify(tampered.body.replace('"700"', '"7000"'), tampered.headers as Record<string, string>),
    ).toThrow();

    // The expired hold's owner has no email: three hold emails and the credit's.
    expect(suite.smtp.received).toHaveLength(4);
    const capturedMail = suite.smtp.received.find((m) => m.raw.includes(h.id))!;
    expect(capturedMail.raw).toContain("Subject: Hold captured: 7.00 USD of 90071992547409.93 USD");
    expect(capturedMail.raw).toContain(`Message-ID: <${captured.eventId}@wallet.notifier>`);
    expect(capturedMail.raw).toContain("Paid to wallet: wal_shop");

    const lines = suite.notifier.logs.filter((l) => l.channel === "log");
    expect(lines.map((l) => l.msg).sort()).toEqual([
      "hold captured",
      "hold expired",
      "hold placed",
      "hold voided",
      "transaction committed",
    ]);
    const line = lines.find((l) => l.eventId === captured.eventId);
    expect(line).toMatchObject({ requestId: `req-${captured.eventId}`, msg: "hold captured" });
    expect(line?.notification).toMatchObject({ holdId: h.id, status: "CAPTURED", capturedAmount: "700" });
  });

  it("holds - a hold event whose status does not match its subject is dead-lettered, not delivered", async () => {
    const before = suite.receiver.received.length;
    // A VOIDED hold published on the .captured subject.
    const wrong = holdChanged({ status: HoldStatus.HOLD_STATUS_VOIDED });
    await suite.fx.js.publish(HOLD_STATUS_SUBJECT.CAPTURED, HoldChanged.encode(wrong).finish(), {
      msgID: wrong.eventId,
    });
    await waitUntil(
      "dead-lettered",
      async () => (await suite.fx.jsm.streams.info(DLQ_STREAM)).state.messages >= 1,
    );
    const letter = await suite.fx.jsm.streams.getMessage(DLQ_STREAM, {
      last_by_subj: deadLetterSubject(HOLD_STATUS_SUBJECT.CAPTURED),
    });
    expect(letter?.header.get(DEAD_LETTER_HEADERS.reason)).toBe(
      "hold status HOLD_STATUS_VOIDED does not match subject wallet.events.hold.captured",
    );
    expect(letter?.header.get(DEAD_LETTER_HEADERS.subject)).toBe(HOLD_STATUS_SUBJECT.CAPTURED);
    await settle(300);
    expect(suite.receiver.received.length).toBe(before);
  });
});
