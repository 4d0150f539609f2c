import { connect, type MsgHdrs } from "@nats-io/transport-node";
import { HoldChanged, TransactionCommitted } from "@wallet/contracts";
import { HOLD_SUBJECTS, TRANSACTION_COMMITTED_SUBJECT } from "@wallet/runtime";

/** An event seen on NATS, with its subject and the headers it was published with. */
export interface SeenEvent<E> {
  event: E;
  subject: string;
  headers: MsgHdrs | undefined;
}

/** Events of one kind as they arrive, searchable with a bounded wait. */
class Seen<E> {
  readonly all: SeenEvent<E>[] = [];

  /** The first event `match` accepts, waiting at most `timeoutMs`. */
  async find(match: (e: E) => boolean, timeoutMs = 5000): Promise<SeenEvent<E> | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.all.find((s) => match(s.event));
      if (hit || Date.now() > deadline) return hit;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/**
 * Listens to the wallet's events as a plain subscriber (it changes no consumer):
 * TransactionCommitted on wallet.events.transaction.committed and HoldChanged on
 * wallet.events.hold.<placed|captured|voided|expired>.
 */
export async function watchWalletEvents(
  natsUrl: string,
  auth: { user?: string; pass?: string; token?: string } = {},
) {
  const nc = await connect({ servers: natsUrl, ...auth, name: "demo", timeout: 3000 });
  const transactions = new Seen<TransactionCommitted>();
  const holds = new Seen<HoldChanged>();
  const listen = <E>(subject: string, decode: (data: Uint8Array) => E, into: Seen<E>) =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        try {
          into.all.push({ event: decode(msg.data), subject: msg.subject, headers: msg.headers });
        } catch {}
      },
    });
  listen(TRANSACTION_COMMITTED_SUBJECT, (d) => TransactionCommitted.decode(d), transactions);
  listen(HOLD_SUBJECTS, (d) => HoldChanged.decode(d), holds);
  await nc.flush();
  return { transactions, holds, close: () => nc.close() };
}
