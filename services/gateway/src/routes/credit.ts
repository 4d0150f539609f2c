import type { FastifyInstance } from "fastify";
import {
  dataEnvelope,
  movementBody,
  movementErrors,
  movementHeaders,
  movementResult,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf, requireCreditScope } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, movementResult as toMovementResult } from "../upstream/resources.js";
import { type RouteDeps, writeAndInvalidate } from "./routeDeps.js";

interface CreditBody {
  walletId: string;
  amount: number;
  metadata?: Record<string, string>;
}

/**
 * POST /api/wallets/credit: adds money to one of the caller's wallets. Creating
 * money needs CREDIT_SCOPE (or wallet:admin): 403 FORBIDDEN otherwise, checked
 * here early and again by the wallet.
 */
export function credit(app: FastifyInstance, { wallet, history, creditScope }: RouteDeps): void {
  app.post<{ Body: CreditBody; Headers: { "idempotency-key": string } }>(
    "/api/wallets/credit",
    {
      config: { idempotent: fingerprints.credit },
      preParsing: requireCreditScope(creditScope),
      schema: {
        tags: ["wallets"],
        summary: "Credit a wallet",
        headers: movementHeaders,
        body: movementBody({}),
        response: { 200: dataEnvelope(movementResult), ...movementErrors },
      },
    },
    async (request, reply) => {
      const { walletId, amount, metadata = {} } = request.body;
      const res = await writeAndInvalidate(
        request,
        history,
        [walletId],
        () =>
          wallet.credit(
            {
              ownerId: principalOf(request).sub,
              walletId,
              amount: BigInt(amount),
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
            },
            request,
          ),
        (r) => [r.transaction?.id ?? ""],
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return { data: toMovementResult(required(res.transaction, "transaction")) };
    },
  );
}
