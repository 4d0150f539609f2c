import type { CreditRequest, CreditResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import type { CallContext } from "./handleUnary.js";
import { transactionToProto } from "./toProto.js";

export const credit =
  (wallets: WalletService) =>
  async (req: CreditRequest, ctx: CallContext): Promise<CreditResponse> => {
    const result = await wallets.credit({ ...req, requestId: ctx.requestId, signal: ctx.signal });
    return { transaction: transactionToProto(result.transaction), replayed: result.replayed };
  };
