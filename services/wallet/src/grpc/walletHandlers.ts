import type { WalletServiceServer } from "@wallet/contracts";
import type { Ledger } from "../ledger.js";
import { handleUnary, type RpcDeps } from "./handleUnary.js";
import { holdToProto, transactionToProto, walletToProto } from "./toProto.js";

/**
 * Binds every RPC of wallet.v1.WalletService to the ledger. handleUnary checks the caller,
 * validates the request id, maps errors and records metrics; each entry only translates
 * between the proto messages and the ledger's use cases.
 */
export function walletHandlers(ledger: Ledger, deps: RpcDeps): WalletServiceServer {
  return {
    createWallet: handleUnary("CreateWallet", deps, async (req) => ({
      wallet: walletToProto(await ledger.createWallet(req.ownerId, req.currency, req.ownerEmail)),
    })),
    getWallet: handleUnary("GetWallet", deps, async (req) => ({
      wallet: walletToProto(await ledger.getWallet(req.ownerId, req.walletId)),
    })),
    listWallets: handleUnary("ListWallets", deps, async (req) => ({
      wallets: (await ledger.listWallets(req.ownerId)).map(walletToProto),
    })),
    credit: handleUnary(
      "Credit",
      deps,
      async (req, ctx) => {
        const result = await ledger.credit({ ...req, requestId: ctx.requestId, signal: ctx.signal });
        return { transaction: transactionToProto(result.transaction), replayed: result.replayed };
      },
      "credit",
    ),
    debit: handleUnary("Debit", deps, async (req, ctx) => {
      const result = await ledger.debit({ ...req, requestId: ctx.requestId, signal: ctx.signal });
      return { transaction: transactionToProto(result.transaction), replayed: result.replayed };
    }),
    transfer: handleUnary("Transfer", deps, async (req, ctx) => {
      const result = await ledger.transfer({ ...req, requestId: ctx.requestId, signal: ctx.signal });
      return {
        transferId: result.transferId,
        debit: transactionToProto(result.debit),
        replayed: result.replayed,
      };
    }),
    listTransactions: handleUnary("ListTransactions", deps, async (req) => {
      const page = await ledger.listTransactions(req.ownerId, req.walletId, req.limit, req.cursor);
      return { transactions: page.transactions.map(transactionToProto), nextCursor: page.nextCursor };
    }),
    getTransaction: handleUnary("GetTransaction", deps, async (req) => ({
      transaction: transactionToProto(await ledger.getTransaction(req.ownerId, req.transactionId)),
    })),
    // Reversing a debit brings money in from outside: the store checks mayCredit for that case only.
    reverseTransaction: handleUnary("ReverseTransaction", deps, async (req, ctx) => {
      const result = await ledger.reverseTransaction({
        ...req,
        mayCredit: ctx.mayCredit,
        requestId: ctx.requestId,
        signal: ctx.signal,
      });
      return {
        reversal: transactionToProto(result.reversal),
        transferId: result.transferId,
        replayed: result.replayed,
      };
    }),
    placeHold: handleUnary("PlaceHold", deps, async (req, ctx) => {
      const result = await ledger.placeHold({ ...req, requestId: ctx.requestId, signal: ctx.signal });
      return { hold: holdToProto(result.hold), replayed: result.replayed };
    }),
    captureHold: handleUnary("CaptureHold", deps, async (req, ctx) => {
      const result = await ledger.captureHold({ ...req, requestId: ctx.requestId, signal: ctx.signal });
      return {
        hold: holdToProto(result.hold),
        transaction: transactionToProto(result.transaction),
        replayed: result.replayed,
      };
    }),
    voidHold: handleUnary("VoidHold", deps, async (req, ctx) => {
      const result = await ledger.voidHold({ ...req, requestId: ctx.requestId, signal: ctx.signal });
      return { hold: holdToProto(result.hold), replayed: result.replayed };
    }),
    getHold: handleUnary("GetHold", deps, async (req) => ({
      hold: holdToProto(await ledger.getHold(req.ownerId, req.holdId)),
    })),
    listHolds: handleUnary("ListHolds", deps, async (req) => {
      const page = await ledger.listHolds(req.ownerId, req.walletId, req.limit, req.cursor);
      return { holds: page.holds.map(holdToProto), nextCursor: page.nextCursor };
    }),
  };
}
