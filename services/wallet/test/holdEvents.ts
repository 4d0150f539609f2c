import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { HoldChanged, TransactionCommitted } from "@wallet/contracts";
import { EVENTS_STREAM, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** One message of WALLET_EVENTS, decoded by its subject. */
export type StreamEvent =
  | {
      subject: typeof TRANSACTION_COMMITTED_SUBJECT;
      msgId: string;
      contentType: string;
      tx: TransactionCommitted;
    }
  | { subject: string; msgId: string; contentType: string; hold: HoldChanged };

/** Every message currently in WALLET_EVENTS, in stream order. */
export async function readEvents(nc: NatsConnection): Promise<StreamEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(EVENTS_STREAM);
  const out: StreamEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(EVENTS_STREAM, { seq }).catch(() => null);
    if (!m) continue;
    const base = { msgId: m.header.get("Nats-Msg-Id"), contentType: m.header.get("Content-Type") };
    if (m.subject === TRANSACTION_COMMITTED_SUBJECT)
      out.push({ subject: TRANSACTION_COMMITTED_SUBJECT, ...base, tx: TransactionCommitted.decode(m.data) });
    else out.push({ subject: m.subject, ...base, hold: HoldChanged.decode(m.data) });
  }
  return out;
}

/** The events about one wallet (its transactions and its holds), as [subject, id of the thing]. */
export function eventsOf(events: StreamEvent[], walletId: string): StreamEvent[] {
  return events.filter((e) => ("tx" in e ? e.tx.walletId : e.hold.hold?.walletId) === walletId);
}
