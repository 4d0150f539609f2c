import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { TransactionCommitted } from "@wallet/contracts";
import { EVENTS_STREAM } from "@wallet/runtime";

/** Every TransactionCommitted event stored in WALLET_EVENTS, oldest first. */
export async function storedEvents(natsUrl: string): Promise<TransactionCommitted[]> {
  const nc = await connect({ servers: natsUrl, name: "e2e-inspector" });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(EVENTS_STREAM);
    const events: TransactionCommitted[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const msg = await jsm.streams.getMessage(EVENTS_STREAM, { seq });
      if (msg) events.push(TransactionCommitted.decode(msg.data));
    }
    return events;
  } finally {
    await nc.close();
  }
}

/** How many times each value occurs. */
export function countBy<T>(values: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
