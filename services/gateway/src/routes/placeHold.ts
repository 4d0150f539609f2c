import type { FastifyInstance } from "fastify";
import {
  amount,
  dataEnvelope,
  holdResource,
  MAX_AMOUNT,
  metadata,
  movementErrors,
  movementHeaders,
  walletId,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, holdResource as toHoldResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

interface PlaceHoldBody {
  walletId: string;
  amount: number;
  expiresInSeconds?: number;
  metadata?: Record<string, string>;
}

/**
 * POST /api/holds: reserves an amount of one of the caller's wallets; 409 INSUFFICIENT_FUNDS
 * beyond what is available. Holds reserve part of the available funds (availableBalance drops,
 * balance does not) until captured (routes/captureHold.ts), voided or expired. Holds are not
 * cached: every hold read goes to the wallet, and placing or voiding one leaves the history as it is.
 */
export function placeHold(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.post<{ Body: PlaceHoldBody; Headers: { "idempotency-key": string } }>(
    "/api/holds",
    {
      config: { idempotent: fingerprints.placeHold },
      schema: {
        tags: ["holds"],
        summary: "Place a hold on a wallet",
        description:
          "Reserves `amount` of the wallet's available funds: availableBalance drops by it, balance does not. " +
          "The hold ends when captured, voided or at expiresAt (then its amount is released).",
        headers: movementHeaders,
        body: {
          type: "object",
          required: ["walletId", "amount"],
          additionalProperties: false,
          properties: {
            walletId,
            amount,
            expiresInSeconds: {
              type: "integer",
              minimum: 1,
              maximum: MAX_AMOUNT,
              description:
                "Seconds until the hold expires; absent takes the wallet's default (7 days unless configured). " +
                "Above the wallet's maximum (30 days unless configured) is 400 VALIDATION_FAILED.",
            },
            metadata,
          },
          examples: [
            { walletId: "0f8e6c52-3b7d-4d6a-8c1e-7a2b9d4e5f60", amount: 3000, metadata: { order: "A-1001" } },
          ],
        },
        response: { 201: dataEnvelope(holdResource), ...movementErrors },
      },
    },
    async (request, reply) => {
      const { walletId, amount, expiresInSeconds = 0, metadata = {} } = request.body;
      const res = await wallet.placeHold(
        {
          ownerId: principalOf(request).sub,
          walletId,
          amount: BigInt(amount),
          expiresInSeconds: BigInt(expiresInSeconds),
          idempotencyKey: request.headers["idempotency-key"],
          metadata,
        },
        request,
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return reply.code(201).send({ data: toHoldResource(required(res.hold, "hold")) });
    },
  );
}
