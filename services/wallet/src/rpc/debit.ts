import type { DebitRequest, DebitResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import type { CallContext } from "./handleUnary.js";
import { transactionToProto } from "./toProto.js";

export const debit =
  (wallets: WalletService) =>
  async (req: DebitRequest, ctx: CallContext): Promise<DebitResponse> => {
    const result = await wallets.debit({ ...req, requestId: ctx.requestId, signal: ctx.signal });
    return { transaction: transactionToProto(result.transaction), replayed: result.replayed };
  };
