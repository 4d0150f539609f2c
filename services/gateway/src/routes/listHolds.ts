import type { FastifyInstance } from "fastify";
import { apiErrors, holdResource, pageEnvelope, walletPageQuery } from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { holdResource as toHoldResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

interface HoldsQuery {
  walletId: string;
  limit: number;
  cursor?: string;
}

/** GET /api/holds?walletId=: a wallet's holds, newest first, one page at a time (never cached). */
export function listHolds(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get<{ Querystring: HoldsQuery }>(
    "/api/holds",
    {
      schema: {
        tags: ["holds"],
        summary: "List a wallet's holds",
        description: "Every status, newest first. Pages work as in GET /api/transactions.",
        querystring: walletPageQuery,
        response: { 200: pageEnvelope(holdResource), ...apiErrors },
      },
    },
    async (request) => {
      const { walletId, limit, cursor = "" } = request.query;
      const res = await wallet.listHolds(
        { ownerId: principalOf(request).sub, walletId, limit, cursor },
        request,
      );
      return { data: { items: res.holds.map(toHoldResource), nextCursor: res.nextCursor || null } };
    },
  );
}
