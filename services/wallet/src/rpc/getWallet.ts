import type { GetWalletRequest, GetWalletResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { walletToProto } from "./toProto.js";

export const getWallet =
  (wallets: WalletService) =>
  async (req: GetWalletRequest): Promise<GetWalletResponse> => ({
    wallet: walletToProto(await wallets.getWallet(req.ownerId, req.walletId)),
  });
