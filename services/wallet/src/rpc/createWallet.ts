import type { CreateWalletRequest, CreateWalletResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { walletToProto } from "./toProto.js";

export const createWallet =
  (wallets: WalletService) =>
  async (req: CreateWalletRequest): Promise<CreateWalletResponse> => ({
    wallet: walletToProto(await wallets.createWallet(req.ownerId, req.currency, req.ownerEmail)),
  });
