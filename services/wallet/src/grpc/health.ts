import type * as grpc from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

/** The service name health is reported for besides the overall server entry "". */
export const WALLET_SERVICE_NAME = "wallet.v1.WalletService";

/** The wallet's grpc.health.v1 status, for both "" and wallet.v1.WalletService at once. */
export interface WalletHealth {
  /** The store is reachable: Check answers SERVING and Watch streams are told. */
  setServing(): void;
  /** Starting, store unreachable or shutting down: Check answers NOT_SERVING. */
  setNotServing(): void;
}

/**
 * Registers grpc.health.v1.Health on `server`. Both entries start NOT_SERVING, so probes wait until
 * the wallet has reached its store and calls `setServing()`.
 */
export function createHealth(server: grpc.Server): WalletHealth {
  const names = ["", WALLET_SERVICE_NAME];
  let current: ServingStatus = "NOT_SERVING";
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, current])));
  health.addToServer(server);

  // Watch streams get one message per real change, not one per repeated call.
  const set = (status: ServingStatus) => {
    if (status === current) return;
    current = status;
    for (const name of names) health.setStatus(name, status);
  };
  return { setServing: () => set("SERVING"), setNotServing: () => set("NOT_SERVING") };
}
