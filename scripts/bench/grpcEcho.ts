/**
 * The gRPC ceiling: a grpc-js server with the wallet's service definition whose Credit answers
 * a fixed, realistic response without touching any store. Usage: grpcEcho.ts <port>.
 */
import * as grpc from "@grpc/grpc-js";
import { type CreditResponse, TransactionType, WalletServiceService } from "@wallet/contracts";

const now = new Date();
const response: CreditResponse = {
  replayed: false,
  transaction: {
    id: "0190f0c2-0000-7000-8000-000000000001",
    walletId: "0190f0c2-0000-7000-8000-000000000000",
    ownerId: "bench-0",
    type: TransactionType.TRANSACTION_TYPE_CREDIT,
    amount: 1n,
    currency: "USD",
    balanceAfter: 100n,
    walletVersion: 2n,
    transferId: "",
    counterpartyWalletId: "",
    reversalOf: "",
    holdId: "",
    reversedAmount: 0n,
    metadata: {},
    createdAt: now,
  },
};

const server = new grpc.Server();
const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
  callback({ code: grpc.status.UNIMPLEMENTED });
const handlers: Record<string, unknown> = {};
for (const name of Object.keys(WalletServiceService)) handlers[name] = unimplemented;
handlers.credit = (_call: unknown, callback: grpc.sendUnaryData<CreditResponse>) => callback(null, response);
server.addService(WalletServiceService, handlers as grpc.UntypedServiceImplementation);
server.bindAsync(`127.0.0.1:${process.argv[2]}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
