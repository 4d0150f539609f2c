import type { FastifyInstance } from "fastify";
import {
  amount,
  dataEnvelope,
  metadata,
  movementErrors,
  movementHeaders,
  transferResult,
  walletId,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf } from "../plugins/authentication.js";
import { REPLAYED_HEADER } from "../plugins/idempotency.js";
import { transferResult as toTransferResult } from "../upstream/resources.js";
import { type RouteDeps, writeAndInvalidate } from "./routeDeps.js";

interface TransferBody {
  fromWalletId: string;
  toWalletId: string;
  amount: number;
  metadata?: Record<string, string>;
}

/** POST /api/transfers: moves money from one of the caller's wallets to another wallet of the same currency. */
export function transfer(app: FastifyInstance, { wallet, history }: RouteDeps): void {
  app.post<{ Body: TransferBody; Headers: { "idempotency-key": string } }>(
    "/api/transfers",
    {
      config: { idempotent: fingerprints.transfer },
      schema: {
        tags: ["transfers"],
        summary: "Transfer between wallets",
        headers: movementHeaders,
        body: {
          type: "object",
          required: ["fromWalletId", "toWalletId", "amount"],
          additionalProperties: false,
          properties: { fromWalletId: walletId, toWalletId: walletId, amount, metadata },
        },
        response: { 200: dataEnvelope(transferResult), ...movementErrors },
      },
    },
    async (request, reply) => {
      const { fromWalletId, toWalletId, amount, metadata = {} } = request.body;
      const res = await writeAndInvalidate(
        request,
        history,
        [fromWalletId, toWalletId],
        () =>
          wallet.transfer(
            {
              ownerId: principalOf(request).sub,
              fromWalletId,
              toWalletId,
              amount: BigInt(amount),
              idempotencyKey: request.headers["idempotency-key"],
              metadata,
            },
            request,
          ),
        (r) => [r.transferId],
      );
      if (res.replayed) reply.header(REPLAYED_HEADER, "true");
      return { data: toTransferResult(res, fromWalletId, toWalletId) };
    },
  );
}
