import type { CallOptions, Exchange } from "../../scripts/lib/http.js";

/** Anything that sends requests to the gateway (the e2e platform, the demo's session). */
export type GatewayCall = (method: string, path: string, opts?: CallOptions) => Promise<Exchange>;

let keySeq = 0;
/** A fresh Idempotency-Key, unique across processes and runs. */
export function newKey(prefix = "k"): string {
  keySeq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${keySeq}`;
}

/** Fails with the whole exchange when the status is not the expected one. */
export function expectStatus(res: Exchange, status: number, what: string): Exchange {
  if (res.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`);
  }
  return res;
}

/** Opens a wallet in `currency` for the token's subject and credits `balance` (if > 0); returns its id. */
export async function fundedWallet(call: GatewayCall, token: string, currency: string, balance = 0) {
  const created = expectStatus(
    await call("POST", "/api/wallets", { token, body: { currency } }),
    201,
    "create wallet",
  );
  const walletId: string = created.body.data.id;
  if (balance > 0) await credit(call, token, walletId, balance);
  return walletId;
}

/** A credit or debit with a fresh Idempotency-Key (unless `headers` brings one). */
export function moveMoney(
  call: GatewayCall,
  kind: "credit" | "debit",
  token: string,
  body: object,
  headers: Record<string, string> = {},
): Promise<Exchange> {
  return call("POST", `/api/wallets/${kind}`, {
    token,
    body,
    headers: { "idempotency-key": newKey(kind), ...headers },
  });
}

/** Credits a wallet with a fresh key and returns the 200 exchange. */
export async function credit(call: GatewayCall, token: string, walletId: string, amount: number) {
  return expectStatus(await moveMoney(call, "credit", token, { walletId, amount }), 200, "credit");
}

/** A wallet as the gateway reports it. */
export async function walletOf(call: GatewayCall, token: string, walletId: string) {
  const res = expectStatus(await call("GET", `/api/wallets/${walletId}`, { token }), 200, "get wallet");
  return res.body.data as {
    id: string;
    balance: number;
    heldBalance: number;
    availableBalance: number;
    version: number;
    currency: string;
  };
}

/** One history entry as the gateway returns it. */
export interface HistoryItem {
  id: string;
  type: string;
  amount: number;
  balanceAfter: number;
  metadata: Record<string, string>;
}

/** Every transaction of a wallet, newest first, by following nextCursor to the end. */
export async function fullHistory(
  call: GatewayCall,
  token: string,
  walletId: string,
): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let cursor: string | null = "";
  for (let page = 0; cursor !== null; page++) {
    if (page > 10_000) throw new Error("history does not end");
    const query: string = `walletId=${walletId}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = expectStatus(await call("GET", `/api/transactions?${query}`, { token }), 200, "history");
    items.push(...res.body.data.items);
    cursor = res.body.data.nextCursor;
  }
  return items;
}
