import type { FastifyInstance } from "fastify";
import { apiErrors, dataEnvelope, walletResource } from "../http/schemas.js";
import { principalOf } from "../plugins/authentication.js";
import { walletResource as toWalletResource } from "../upstream/resources.js";
import type { RouteDeps } from "./routeDeps.js";

/** GET /api/wallets: the caller's wallets, oldest first. */
export function listWallets(app: FastifyInstance, { wallet }: RouteDeps): void {
  app.get(
    "/api/wallets",
    {
      schema: {
        tags: ["wallets"],
        summary: "List the caller's wallets",
        response: {
          200: dataEnvelope({
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: walletResource } },
          }),
          ...apiErrors,
        },
      },
    },
    async (request) => {
      const res = await wallet.listWallets({ ownerId: principalOf(request).sub }, request);
      return { data: { items: res.wallets.map(toWalletResource) } };
    },
  );
}
