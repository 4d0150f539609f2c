import type { ListWalletsRequest, ListWalletsResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { walletToProto } from "./toProto.js";

export const listWallets =
  (wallets: WalletService) =>
  async (req: ListWalletsRequest): Promise<ListWalletsResponse> => ({
    wallets: (await wallets.listWallets(req.ownerId)).map(walletToProto),
  });
