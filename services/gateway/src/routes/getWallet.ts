import type { FastifyInstance } from "fastify";
import { apiErrors, dataEnvelope, walletId, walletResource } from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { required, walletResource as toWalletResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

/** GET /api/wallets/:walletId: one of the caller's wallets; 404 if missing or someone else's. */
export function getWallet(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get<{ Params: { walletId: string } }>(
    "/api/wallets/:walletId",
    {
      schema: {
        tags: ["wallets"],
        summary: "Get a wallet (balance, currency, version)",
        params: { type: "object", required: ["walletId"], properties: { walletId } },
        response: { 200: dataEnvelope(walletResource), ...apiErrors },
      },
    },
    async (request) => {
      const res = await wallet.getWallet(
        { ownerId: principalOf(request).sub, walletId: request.params.walletId },
        request,
      );
      return { data: toWalletResource(required(res.wallet, "wallet")) };
    },
  );
}
