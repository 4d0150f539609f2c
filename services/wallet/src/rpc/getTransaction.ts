import type { GetTransactionRequest, GetTransactionResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { transactionToProto } from "./toProto.js";

export const getTransaction =
  (wallets: WalletService) =>
  async (req: GetTransactionRequest): Promise<GetTransactionResponse> => ({
    transaction: transactionToProto(await wallets.getTransaction(req.ownerId, req.transactionId)),
  });
