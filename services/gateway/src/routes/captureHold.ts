import type { FastifyInstance } from "fastify";
import {
  amount,
  dataEnvelope,
  holdParams,
  holdResource,
  metadata,
  movementErrors,
  movementHeaders,
  transactionResource,
  walletId,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { OPTIONAL_BODY } from "../plugins/apiDocs.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import {
  required,
  holdResource as toHoldResource,
  transactionResource as toTransactionResource,
} from "../upstream/resources.js";
import { absentBodyIsEmpty, type RouteDeps, walletsOf, writeAndInvalidateFound } from "./routeDeps.js";

interface CaptureBody {
  amount?: number;
  destinationWalletId?: string;
  metadata?: Record<string, string>;
}

const captureResult = dataEnvelope({
  type: "object",
  required: ["hold", "transaction"],
  properties: {
    hold: holdResource,
    transaction: {
      ...transactionResource,
      description: "The capture's debit, or the transfer_out leg of its transfer.",
    },
  },
});

/**
 * POST /api/holds/:holdId/capture: moves all or part of a pending hold as a debit, or as a
 * transfer into `destinationWalletId`; the rest is released. 409 HOLD_NOT_PENDING once ended,
 * 409 AMOUNT_EXCEEDS_REMAINING above the hold's amount.
 */
export function captureHold(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.post<{ Params: { holdId: string }; Body: CaptureBody; Headers: { "idempotency-key": string } }>(
    "/api/holds/:holdId/capture",
    {
      config: { idempotent: fingerprints.captureHold },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ["holds"],
        summary: "Capture a hold",
        [OPTIONAL_BODY]: true,
        description:
          "Captures `amount` (absent: the whole hold) as a debit of the hold's wallet, or, with " +
          "destinationWalletId, as a transfer into that wallet (any owner, same currency). The rest of " +
          "the hold is released. The body may be absent.",
        headers: movementHeaders,
        params: holdParams,
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            amount: { ...amount, description: `${amount.description} Absent: the whole hold.` },
            destinationWalletId: { ...walletId, description: "Capture as a transfer into this wallet." },
            metadata,
          },
          examples: [{ amount: 2500, metadata: { order: "A-1001" } }],
        },
        response: { 200: captureResult, ...movementErrors },
      },
    },
    async (request, reply) => {
      const { amount = 0, destinationWalletId = "", metadata = {} } = request.body;
      const { holdId } = request.params;
      const res = await writeAndInvalidateFound(
        request,
        history,
        () =>
          wallet.captureHold(
            {
              ownerId: principalOf(request).sub,
              holdId,
              amount: BigInt(amount),
              destinationWalletId,
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
            },
            request,
          ),
        (r) => {
          const t = required(r.transaction, "transaction");
          return { walletIds: walletsOf(t), writtenIds: [t.id, t.transferId] };
        },
        async () => {
          const hold = (await wallet.getHold({ ownerId: principalOf(request).sub, holdId }, request)).hold;
          return [hold?.walletId ?? "", destinationWalletId];
        },
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return {
        data: {
          hold: toHoldResource(required(res.hold, "hold")),
          transaction: toTransactionResource(required(res.transaction, "transaction")),
        },
      };
    },
  );
}
