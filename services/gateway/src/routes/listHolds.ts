import type { FastifyInstance } from "fastify";
import { apiErrors, dataEnvelope, holdResource, walletId } from "../http/schemas.js";
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
        querystring: {
          type: "object",
          required: ["walletId"],
          properties: {
            walletId,
            limit: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            cursor: { type: "string", minLength: 1, maxLength: 512, description: "Opaque; from nextCursor." },
          },
        },
        response: {
          200: dataEnvelope({
            type: "object",
            required: ["items", "nextCursor"],
            properties: {
              items: { type: "array", items: holdResource },
              nextCursor: {
                type: ["string", "null"],
                description: "Pass as `cursor` for the next page; null on the last page.",
              },
            },
          }),
          ...apiErrors,
        },
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
