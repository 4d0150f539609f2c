import type { FastifyInstance } from "fastify";
import { apiErrors, dataEnvelope, holdParams, holdResource } from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { required, holdResource as toHoldResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

/** GET /api/holds/:holdId: a hold on one of the caller's wallets; 404 HOLD_NOT_FOUND otherwise. */
export function getHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get<{ Params: { holdId: string } }>(
    "/api/holds/:holdId",
    {
      schema: {
        tags: ["holds"],
        summary: "Get a hold",
        params: holdParams,
        response: { 200: dataEnvelope(holdResource), ...apiErrors },
      },
    },
    async (request) => {
      const res = await wallet.getHold(
        { ownerId: principalOf(request).sub, holdId: request.params.holdId },
        request,
      );
      return { data: toHoldResource(required(res.hold, "hold")) };
    },
  );
}
