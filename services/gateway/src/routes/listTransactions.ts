import type { FastifyInstance } from "fastify";
import { apiErrors, dataEnvelope, transactionResource, walletId } from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { transactionResource as toTransactionResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

interface HistoryQuery {
  walletId: string;
  limit: number;
  cursor?: string;
}

const page = dataEnvelope({
  type: "object",
  required: ["items", "nextCursor"],
  properties: {
    items: { type: "array", items: transactionResource },
    nextCursor: {
      type: ["string", "null"],
      description: "Pass as `cursor` for the next page; null on the last page.",
    },
  },
});

/**
 * GET /api/transactions: a wallet's history, newest first, one page at a time.
 * Pages come from the history cache (`x-cache: HIT`) or the wallet (`MISS`).
 */
export function listTransactions(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.get<{ Querystring: HistoryQuery }>(
    "/api/transactions",
    {
      schema: {
        tags: ["transactions"],
        summary: "List a wallet's transactions",
        querystring: {
          type: "object",
          required: ["walletId"],
          properties: {
            walletId,
            limit: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            cursor: { type: "string", minLength: 1, maxLength: 512, description: "Opaque; from nextCursor." },
          },
        },
        response: { 200: page, ...apiErrors },
      },
    },
    async (request, reply) => {
      const { sub } = principalOf(request);
      const { walletId, limit, cursor = "" } = request.query;
      reply.type("application/json; charset=utf-8");
      const cached = await history.lookup(walletId, sub, limit, cursor);
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
