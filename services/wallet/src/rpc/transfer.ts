import type { TransferRequest, TransferResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import type { CallContext } from "./handleUnary.js";
import { transactionToProto } from "./toProto.js";

export const transfer =
  (wallets: WalletService) =>
  async (req: TransferRequest, ctx: CallContext): Promise<TransferResponse> => {
    const result = await wallets.transfer({ ...req, requestId: ctx.requestId, signal: ctx.signal });
    return {
      transferId: result.transferId,
      debit: transactionToProto(result.debit),
      replayed: result.replayed,
    };
  };
