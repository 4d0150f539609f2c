import type { FastifyInstance } from "fastify";
import {
  apiErrors,
  currency,
  dataEnvelope,
  errorEnvelope,
  idempotencyKeyHeader,
  walletResource,
} from "../http/schemas.js";
import { fingerprints } from "../idempotency/fingerprint.js";
import { principalOf } from "../plugins/authentication.js";
import { required, walletResource as toWalletResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

/** POST /api/wallets: opens the caller's wallet in a currency; 409 WALLET_EXISTS for a second one. */
export function createWallet(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.post<{ Body: { currency: string } }>(
    "/api/wallets",
    {
      config: { idempotent: fingerprints.createWallet },
      schema: {
        tags: ["wallets"],
        summary: "Create a wallet",
        headers: { type: "object", properties: { "idempotency-key": idempotencyKeyHeader } },
        body: {
          type: "object",
          required: ["currency"],
          additionalProperties: false,
          properties: { currency },
        },
        response: { 201: dataEnvelope(walletResource), ...apiErrors, 409: errorEnvelope, 422: errorEnvelope },
      },
    },
    async (request, reply) => {
      const { sub, email } = principalOf(request);
      const res = await wallet.createWallet(
        { ownerId: sub, currency: request.body.currency, ownerEmail: email ?? "" },
        request,
      );
      return reply.code(201).send({ data: toWalletResource(required(res.wallet, "wallet")) });
    },
  );
}
