import type { TransactionCommitted } from "@wallet/contracts";
import nodemailer from "nodemailer";
import { holdChange, transactionKind, type WalletEvent } from "../event.js";
import { type DeliveryChannel, DeliveryFailedError } from "./channel.js";

const SMTP_TIMEOUT_MS = 10_000;

/** Upper bound of one email attempt; the consumer's ack wait is sized from it. */
export const EMAIL_TIMEOUT_MS = 3 * SMTP_TIMEOUT_MS;

/** Sends a plain-text email to the wallet owner; events without an owner email are skipped. */
export function createEmailChannel(opts: { smtpUrl: string; from: string }): DeliveryChannel {
  const transport = nodemailer.createTransport({
    url: opts.smtpUrl,
    pool: true,
    maxConnections: 4,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    name: "email",
    deliver: async (event, log) => {
      if (!event.ownerEmail) {
        log.info({ channel: "email" }, "email skipped: owner has no email address");
        return "skipped";
      }
      try {
        await transport.sendMail({
          from: opts.from,
          to: event.ownerEmail,
          subject: emailSubject(event),
          text: emailText(event),
          // A stable Message-ID lets mail systems spot a resend of the same event.
          messageId: `<${event.eventId}@wallet.notifier>`,
        });
      } catch (err) {
        throw new DeliveryFailedError(`email to owner failed: ${(err as Error).message}`, { cause: err });
      }
      return "delivered";
    },
    close: async () => transport.close(),
  };
}

type HoldEvent = Extract<WalletEvent, { kind: "hold" }>;

function emailSubject(event: WalletEvent): string {
  return event.kind === "hold" ? holdSubject(event) : transactionSubject(event.transaction);
}

function emailText(event: WalletEvent): string {
  return event.kind === "hold" ? holdText(event) : transactionText(event.transaction);
}

function holdSubject(event: HoldEvent): string {
  const h = event.hold;
  const amount = formatMoney(h.amount, h.currency);
  if (event.status === "CAPTURED")
    return `Hold captured: ${formatMoney(h.capturedAmount, h.currency)} of ${amount}`;
  return `Hold ${holdChange(event)}: ${amount}`;
}

function holdText(event: HoldEvent): string {
  const h = event.hold;
  const lines = [
    `Hold ${h.id} on wallet ${h.walletId} is ${event.status.toLowerCase()}.`,
    `Amount held: ${formatMoney(h.amount, h.currency)}`,
  ];
  if (event.status === "PENDING") lines.push(`Expires: ${h.expiresAt?.toISOString() ?? "unknown"}`);
  if (event.status === "CAPTURED") {
    lines.push(`Captured: ${formatMoney(h.capturedAmount, h.currency)}`);
    if (h.amount > h.capturedAmount)
      lines.push(`Released: ${formatMoney(h.amount - h.capturedAmount, h.currency)}`);
    if (h.destinationWalletId) lines.push(`Paid to wallet: ${h.destinationWalletId}`);
  }
  if (event.status === "VOIDED" || event.status === "EXPIRED")
    lines.push(`Released: ${formatMoney(h.amount, h.currency)}`);
  lines.push(`Time: ${event.occurredAt?.toISOString() ?? "unknown"}`);
  return lines.join("\n");
}

function transactionSubject(event: TransactionCommitted): string {
  const verb = { CREDIT: "credited", DEBIT: "debited", TRANSFER_IN: "received", TRANSFER_OUT: "sent" }[
    transactionKind(event.type)
  ];
  return `Wallet ${verb ?? "updated"}: ${formatMoney(event.amount, event.currency)}`;
}

function transactionText(event: TransactionCommitted): string {
  return [
    `Transaction ${event.transactionId} (${transactionKind(event.type)}) on wallet ${event.walletId}.`,
    `Amount: ${formatMoney(event.amount, event.currency)}`,
    `Balance after: ${formatMoney(event.balanceAfter, event.currency)}`,
    `Time: ${event.occurredAt?.toISOString() ?? "unknown"}`,
  ].join("\n");
}

/** Formats integer minor units exactly (no floating point), e.g. 1050n USD -> "10.50 USD". */
export function formatMoney(minor: bigint, currency: string): string {
  const digits = currencyDigits(currency);
  const sign = minor < 0n ? "-" : "";
  const abs = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, "0");
  const whole = abs.slice(0, abs.length - digits);
  const fraction = digits > 0 ? `.${abs.slice(abs.length - digits)}` : "";
  return `${sign}${whole}${fraction} ${currency}`;
}

function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}
