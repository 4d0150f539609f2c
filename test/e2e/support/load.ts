import type { Exchange } from "../../../scripts/lib/http.js";
import { type GatewayCall, moveMoney, newKey } from "../../support/wallets.js";

/** One credit or debit a load client sent, with its latest answer. */
export interface Operation {
  key: string;
  kind: "credit" | "debit";
  amount: number;
  /** HTTP status of the latest attempt; 0 when the connection failed. */
  status: number;
  /** The error code of the latest attempt, if it failed with one. */
  code?: string;
  transactionId?: string;
  /** The balance after the operation, as the 200 answer gave it. */
  balance?: number;
  attempts: number;
}

/** Concurrent clients moving money on one wallet until stopped. */
export interface MoneyLoad {
  operations: Operation[];
  /** Operations answered 200 so far. */
  acknowledged(): number;
  stop(): Promise<void>;
}

/**
 * Starts `clients` loops, each sending credits and debits (random 1-100) on
 * `walletId`, every one with its own Idempotency-Key and the key in metadata.op.
 */
export function startMoneyLoad(call: GatewayCall, token: string, walletId: string, clients = 8): MoneyLoad {
  const operations: Operation[] = [];
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const op: Operation = {
        key: newKey("load"),
        kind: Math.random() < 0.5 ? "credit" : "debit",
        amount: 1 + Math.floor(Math.random() * 100),
        status: 0,
        attempts: 0,
      };
      operations.push(op);
      await send(call, token, walletId, op);
      // Back off a little while the wallet is away rather than spin on instant 503s.
      if (op.status >= 500 || op.status === 0) await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    operations,
    acknowledged: () => operations.filter((o) => o.status === 200).length,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Sends (or re-sends, with the same key and body) one operation and records the answer. */
export async function send(call: GatewayCall, token: string, walletId: string, op: Operation): Promise<void> {
  op.attempts += 1;
  let res: Exchange;
  try {
    res = await moveMoney(
      call,
      op.kind,
      token,
      { walletId, amount: op.amount, metadata: { op: op.key } },
      {
        "idempotency-key": op.key,
      },
    );
  } catch {
    op.status = 0;
    return;
  }
  op.status = res.status;
  op.code = res.body?.error?.code;
  if (res.status === 200) {
    op.transactionId = res.body.data.transactionId;
    op.balance = res.body.data.balance;
  }
}

// 4xx answers that say nothing about whether the operation happened.
const UNDECIDED = new Set(["IDEMPOTENCY_IN_FLIGHT", "RATE_LIMITED"]);

/** True when the answer says whether the operation happened (200, or a business 4xx such as 409 funds). */
export function isSettled(op: Operation): boolean {
  return op.status >= 200 && op.status < 500 && !UNDECIDED.has(op.code ?? "");
}
