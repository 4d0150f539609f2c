import type { ListTransactionsRequest, ListTransactionsResponse } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { transactionToProto } from "./toProto.js";

export const listTransactions =
  (wallets: WalletService) =>
  async (req: ListTransactionsRequest): Promise<ListTransactionsResponse> => {
    const page = await wallets.listTransactions(req.ownerId, req.walletId, req.limit, req.cursor);
    return { transactions: page.transactions.map(transactionToProto), nextCursor: page.nextCursor };
  };
