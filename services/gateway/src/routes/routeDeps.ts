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
 * Runs a wallet write and, before the reply goes out, makes the history of the
 * wallets it may have changed stale (in the round trip that stores the
 * idempotency record). Rejections (4xx) changed nothing; a timeout or
 * unavailability may still have committed, so those invalidate too.
 */
export async function writeAndInvalidate<T>(
  request: FastifyRequest,
  history: HistoryCache,
  walletIds: string[],
  write: () => Promise<T>,
  writtenIds: (result: T) => string[],
): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (err) {
    if (!(err instanceof ApiError && err.statusCode < 500)) {
      sendBeforeReply(request, () => history.invalidate(walletIds, "gateway"));
    }
    throw err;
  }
  const ids = writtenIds(result);
  sendBeforeReply(request, () => history.invalidateOwnWrite(walletIds, ids));
  return result;
}
