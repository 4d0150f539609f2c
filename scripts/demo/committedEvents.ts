import { connect, type MsgHdrs } from "@nats-io/transport-node";
import { TransactionCommitted } from "@wallet/contracts";
import { TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** A TransactionCommitted event seen on NATS, with the headers it was published with. */
export interface SeenEvent {
  event: TransactionCommitted;
  headers: MsgHdrs | undefined;
}

/** Listens to wallet.events.transaction.committed (as a plain subscriber; it changes no consumer). */
export async function watchCommittedEvents(
  natsUrl: string,
  auth: { user?: string; pass?: string; token?: string } = {},
) {
  const nc = await connect({ servers: natsUrl, ...auth, name: "demo", timeout: 3000 });
  const seen: SeenEvent[] = [];
  nc.subscribe(TRANSACTION_COMMITTED_SUBJECT, {
    callback: (err, msg) => {
      if (err) return;
      try {
        seen.push({ event: TransactionCommitted.decode(msg.data), headers: msg.headers });
      } catch {}
    },
  });
  await nc.flush();
  return {
    /** The first event `match` accepts, waiting at most `timeoutMs`. */
    async find(
      match: (e: TransactionCommitted) => boolean,
      timeoutMs = 5000,
    ): Promise<SeenEvent | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.find((s) => match(s.event));
        if (hit || Date.now() > deadline) return hit;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => nc.close(),
  };
}
