import type { FastifyInstance, FastifyRequest } from "fastify";
import type { PrefetchedLookup } from "../cache/historyCache.js";
import {
  apiErrors,
  DEFAULT_PAGE_SIZE,
  pageEnvelope,
  transactionResource,
  walletPageQuery,
} from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { transactionResource as toTransactionResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

interface HistoryQuery {
  walletId: string;
  limit: number;
  cursor?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The history page looked up along with the rate-limit count. */
    historyPrefetch: PrefetchedLookup | null;
  }
}

/**
 * The page a query string asks for, read before validation (which coerces and
 * defaults it the same way); null when it does not look valid. Only decides
 * what to look up early: the handler uses the answer only for the validated page.
 */
function pageAsked(query: unknown): { walletId: string; limit: number; cursor: string } | null {
  const { walletId, limit, cursor = "" } = (query ?? {}) as Record<string, unknown>;
  if (typeof walletId !== "string" || typeof cursor !== "string") return null;
  const n = limit === undefined ? DEFAULT_PAGE_SIZE : typeof limit === "string" ? Number(limit) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 100) return null;
  return { walletId, limit: n, cursor };
}

/**
 * GET /api/transactions: a wallet's history, newest first, one page at a time.
 * Pages come from the history cache (`x-cache: HIT`) or the wallet (`MISS`);
 * the cache is asked in the same Redis round trip as the rate-limit count.
 */
export function listTransactions(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.decorateRequest("historyPrefetch", null);
  const prefetch = (request: FastifyRequest) => {
    const asked = request.principal && pageAsked(request.query);
    if (asked) {
      request.historyPrefetch = history.prefetch(
        asked.walletId,
        request.principal!.sub,
        asked.limit,
        asked.cursor,
      );
    }
  };
  app.get<{ Querystring: HistoryQuery }>(
    "/api/transactions",
    {
      config: { alongsideRateLimit: prefetch },
      schema: {
        tags: ["transactions"],
        summary: "List a wallet's transactions",
        querystring: walletPageQuery,
        response: { 200: pageEnvelope(transactionResource), ...apiErrors },
      },
    },
    async (request, reply) => {
      const { sub } = principalOf(request);
      const { walletId, limit, cursor = "" } = request.query;
      reply.type("application/json; charset=utf-8");
      const cached = await history.lookup(walletId, sub, limit, cursor, request.historyPrefetch);
      if (cached.body !== null) return reply.header("x-cache", "HIT").send(cached.body);

      const res = await wallet.listTransactions({ ownerId: sub, walletId, limit, cursor }, request);
      const body = reply.serialize({
        data: { items: res.transactions.map(toTransactionResource), nextCursor: res.nextCursor || null },
      }) as string;
      await cached.store(body);
      return reply.header("x-cache", "MISS").send(body);
    },
  );
}
