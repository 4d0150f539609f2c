import type { FastifyInstance } from "fastify";
import { dataEnvelope, holdParams, holdResource, movementErrors, movementHeaders } from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { OPTIONAL_BODY } from "../plugins/apiDocs.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, holdResource as toHoldResource } from "../upstream/resources.js";
import { absentBodyIsEmpty, type RouteDeps } from "./routeDeps.js";

/** POST /api/holds/:holdId/void: releases a pending hold; 409 HOLD_NOT_PENDING once ended. */
export function voidHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.post<{
    Params: { holdId: string };
    Body: Record<string, never>;
    Headers: { "idempotency-key": string };
  }>(
    "/api/holds/:holdId/void",
    {
      config: { idempotent: fingerprints.voidHold },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ["holds"],
        summary: "Void a hold",
        [OPTIONAL_BODY]: true,
        description: "Releases the whole hold. No body, or `{}`.",
        headers: movementHeaders,
        params: holdParams,
        body: { type: "object", additionalProperties: false, properties: {} },
        response: {
          200: dataEnvelope({ type: "object", required: ["hold"], properties: { hold: holdResource } }),
          ...movementErrors,
        },
      },
    },
    async (request, reply) => {
      const res = await wallet.voidHold(
        {
          ownerId: principalOf(request).sub,
          holdId: request.params.holdId,
          idempotencyKey: request.headers["idempotency-key"],
        },
        request,
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return { data: { hold: toHoldResource(required(res.hold, "hold")) } };
    },
  );
}
