import type { FastifyInstance } from "fastify";
import {
  dataEnvelope,
  MAX_AMOUNT,
  movementBody,
  movementErrors,
  movementHeaders,
  movementResult,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { required, movementResult as toMovementResult } from "../upstream/resources.js";
import { type RouteDeps, writeAndInvalidate } from "./routeDeps.js";

interface DebitBody {
  walletId: string;
  amount: number;
  metadata?: Record<string, string>;
  expectedVersion?: number;
}

const expectedVersion = {
  type: "integer",
  minimum: 0,
  maximum: MAX_AMOUNT,
  description:
    "Compare-and-set: the debit applies only while the wallet's version equals this (else 409 CONCURRENT_UPDATE).",
} as const;

/** POST /api/wallets/debit: takes money from one of the caller's wallets; 409 INSUFFICIENT_FUNDS or CONCURRENT_UPDATE. */
export function debit(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.post<{ Body: DebitBody; Headers: { "idempotency-key": string } }>(
    "/api/wallets/debit",
    {
      config: { idempotent: fingerprints.debit },
      schema: {
        tags: ["wallets"],
        summary: "Debit a wallet",
        headers: movementHeaders,
        body: movementBody({ expectedVersion }),
        response: { 200: dataEnvelope(movementResult), ...movementErrors },
      },
    },
    async (request, reply) => {
      const { walletId, amount, metadata = {}, expectedVersion } = request.body;
      const res = await writeAndInvalidate(
        request,
        history,
        [walletId],
        () =>
          wallet.debit(
            {
              ownerId: principalOf(request).sub,
              walletId,
              amount: BigInt(amount),
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
              expectedVersion: expectedVersion === undefined ? undefined : BigInt(expectedVersion),
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
