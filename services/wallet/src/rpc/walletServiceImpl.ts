import type { WalletServiceServer } from "@wallet/contracts";
import type { WalletService } from "../walletService.js";
import { createWallet } from "./createWallet.js";
import { credit } from "./credit.js";
import { debit } from "./debit.js";
import { getTransaction } from "./getTransaction.js";
import { getWallet } from "./getWallet.js";
import { handleUnary, type RpcDeps } from "./handleUnary.js";
import { listTransactions } from "./listTransactions.js";
import { listWallets } from "./listWallets.js";
import { transfer } from "./transfer.js";

/** Binds every RPC of wallet.v1.WalletService to its handler; every one checks its caller first. */
export function walletServiceImpl(wallets: WalletService, deps: RpcDeps): WalletServiceServer {
  return {
    createWallet: handleUnary("CreateWallet", deps, createWallet(wallets)),
    getWallet: handleUnary("GetWallet", deps, getWallet(wallets)),
    listWallets: handleUnary("ListWallets", deps, listWallets(wallets)),
    credit: handleUnary("Credit", deps, credit(wallets), "credit"),
    debit: handleUnary("Debit", deps, debit(wallets)),
    transfer: handleUnary("Transfer", deps, transfer(wallets)),
    listTransactions: handleUnary("ListTransactions", deps, listTransactions(wallets)),
    getTransaction: handleUnary("GetTransaction", deps, getTransaction(wallets)),
  };
}
