import type { FastifyRequest } from "fastify";
import type { HistoryCache } from "../cache/historyCache.js";
import { ApiError } from "../http/apiError.js";
import { sendBeforeReply } from "../plugins/idempotency.js";
import type { WalletUpstream } from "../upstream/walletClient.js";

/** What the API routes call. */
export interface RouteDeps {
  wallet: WalletUpstream;
  history: HistoryCache;
  /** CREDIT_SCOPE: the scope a token needs to credit (wallet:admin implies it). */
  creditScope: string;
}

/**
 * Runs a wallet write; on success, the history of the wallets it changed is made stale in the
 * round trip that stores the idempotency record. Rejections (4xx) changed nothing; a timeout or
 * unavailability may still have committed, so then `mayHaveCommitted` runs before the error
 * goes on.
 */
async function invalidatingWrite<T>(
  request: FastifyRequest,
  history: HistoryCache,
  write: () => Promise<T>,
  changed: (result: T) => { walletIds: string[]; writtenIds: string[] },
  mayHaveCommitted: () => void,
): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (err) {
    if (!(err instanceof ApiError && err.statusCode < 500)) mayHaveCommitted();
    throw err;
  }
  const { walletIds, writtenIds } = changed(result);
  sendBeforeReply(request, () => history.invalidateOwnWrite(walletIds, writtenIds));
  return result;
}

/**
 * Runs a wallet write and, before the reply goes out, makes the history of the
 * wallets it may have changed stale (in the round trip that stores the
 * idempotency record), after a timeout or unavailability too.
 */
export function writeAndInvalidate<T>(
  request: FastifyRequest,
  history: HistoryCache,
  walletIds: string[],
  write: () => Promise<T>,
  writtenIds: (result: T) => string[],
): Promise<T> {
  return invalidatingWrite(
    request,
    history,
    write,
    (result) => ({ walletIds, writtenIds: writtenIds(result) }),
    () => sendBeforeReply(request, () => history.invalidate(walletIds, "gateway")),
  );
}

/**
 * writeAndInvalidate for writes addressed by a hold or transaction id, whose wallets are
 * known only from the result: `changed` names them and the written ids, invalidated in the
 * round trip that stores the idempotency record. A timeout or
 * unavailability may still have committed; then `lookup` asks the wallet which wallets the
 * write could have changed and those are invalidated in the background, so the error reply
 * is not held up by a second slow call. If the lookup fails too, the wallet's committed
 * events (and the cache TTL) bound the staleness.
 */
export function writeAndInvalidateFound<T>(
  request: FastifyRequest,
  history: HistoryCache,
  write: () => Promise<T>,
  changed: (result: T) => { walletIds: string[]; writtenIds: string[] },
  lookup: () => Promise<string[]>,
): Promise<T> {
  return invalidatingWrite(request, history, write, changed, () => {
    void lookup().then(
      (walletIds) => {
        const known = walletIds.filter((id) => id !== "");
        return known.length > 0 ? history.invalidate(known, "gateway") : undefined;
      },
      () => undefined,
    );
  });
}

/**
 * preValidation for routes whose body fields are all optional: a request without a body
 * (no Content-Type) is the empty object. `{}` works too; an empty application/json body is
 * still "Body is not valid JSON", as everywhere.
 */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {};
}

/** The wallets a transaction changed: its own, and the other side of a transfer. */
export function walletsOf(t: { walletId: string; counterpartyWalletId: string }): string[] {
  return t.counterpartyWalletId ? [t.walletId, t.counterpartyWalletId] : [t.walletId];
}
