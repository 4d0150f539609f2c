import type { FastifyInstance } from "fastify";
import {
  amount,
  dataEnvelope,
  errorEnvelope,
  metadata,
  movementErrors,
  movementHeaders,
  resourceId,
  transactionResource,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { OPTIONAL_BODY } from "../plugins/apiDocs.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, transactionResource as toTransactionResource } from "../upstream/resources.js";
import { absentBodyIsEmpty, type RouteDeps, walletsOf, writeAndInvalidateFound } from "./routeDeps.js";

interface ReversalBody {
  amount?: number;
  metadata?: Record<string, string>;
}

const reversalResult = dataEnvelope({
  type: "object",
  required: ["reversal", "transferId"],
  properties: {
    reversal: {
      ...transactionResource,
      description:
        "The new transaction on the wallet the money returns from: a debit for a credit, a credit for a " +
        "debit, the transfer_out leg for a transfer. Its reversalOf is the original.",
    },
    transferId: {
      type: ["string", "null"],
      description: "The reversal's own transfer when a transfer was reversed; null otherwise.",
    },
  },
});

/**
 * POST /api/transactions/:transactionId/reversals: undoes a credit, debit or transfer (through
 * its transfer_in leg), in full or in part, as new transactions linked by reversalOf. The
 * wallet decides what the caller may reverse: a debit's reversal creates money and needs the
 * credit scope (403 FORBIDDEN from the wallet), so the gateway does not check the scope here.
 */
export function reverseTransaction(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.post<{
    Params: { transactionId: string };
    Body: ReversalBody;
    Headers: { "idempotency-key": string };
  }>(
    "/api/transactions/:transactionId/reversals",
    {
      config: { idempotent: fingerprints.reverseTransaction },
      preValidation: absentBodyIsEmpty,
      schema: {
        tags: ["transactions"],
        summary: "Reverse a transaction",
        [OPTIONAL_BODY]: true,
        description:
          "Reverses `amount` (absent: all not reversed yet) of a credit (a debit takes it back; needs " +
          "available funds), a debit (a credit returns it; needs the credit scope) or a transfer (address " +
          "its transfer_in leg; the money goes back to the sender). The total reversed never exceeds the " +
          "original (409 AMOUNT_EXCEEDS_REMAINING); reversals and transfer_out legs are not reversible " +
          "(409 NOT_REVERSIBLE). The body may be absent.",
        headers: movementHeaders,
        params: {
          type: "object",
          required: ["transactionId"],
          properties: { transactionId: { ...resourceId, description: "The transaction to reverse." } },
        },
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            amount: { ...amount, description: `${amount.description} Absent: everything not reversed yet.` },
            metadata,
          },
          examples: [{ amount: 1000, metadata: { reason: "refund" } }],
        },
        response: { 201: reversalResult, ...movementErrors, 403: errorEnvelope },
      },
    },
    async (request, reply) => {
      const { amount = 0, metadata = {} } = request.body;
      const { transactionId } = request.params;
      const ownerId = principalOf(request).sub;
      const res = await writeAndInvalidateFound(
        request,
        history,
        () =>
          wallet.reverseTransaction(
            {
              ownerId,
              transactionId,
              amount: BigInt(amount),
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
            },
            request,
          ),
        (r) => {
          const t = required(r.reversal, "reversal");
          return { walletIds: walletsOf(t), writtenIds: [t.id, r.transferId] };
        },
        async () => {
          const original = (await wallet.getTransaction({ ownerId, transactionId }, request)).transaction;
          return original ? walletsOf(original) : [];
        },
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return reply.code(201).send({
        data: {
          reversal: toTransactionResource(required(res.reversal, "reversal")),
          transferId: res.transferId || null,
        },
      });
    },
  );
}
