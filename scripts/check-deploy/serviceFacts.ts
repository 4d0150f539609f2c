import { WalletServiceService } from "@wallet/contracts";

export type ServiceName = "wallet" | "gateway" | "notifier";

/** What each service serves, by the names of the variables that configure it. */
export interface ServiceFacts {
  name: ServiceName;
  /** The HTTP port that serves /healthz, /readyz and /metrics. */
  httpPortVariable: string;
  /** The gRPC port, for the service that has one. */
  grpcPortVariable?: string;
  /** Listen addresses: inside a container they must accept connections from outside the pod. */
  hostVariables: string[];
}

export const SERVICES: readonly ServiceFacts[] = [
  {
    name: "wallet",
    httpPortVariable: "WALLET_ADMIN_PORT",
    grpcPortVariable: "WALLET_GRPC_PORT",
    hostVariables: ["WALLET_GRPC_HOST", "WALLET_ADMIN_HOST"],
  },
  { name: "gateway", httpPortVariable: "GATEWAY_PORT", hostVariables: ["GATEWAY_HOST"] },
  { name: "notifier", httpPortVariable: "NOTIFIER_ADMIN_PORT", hostVariables: ["NOTIFIER_ADMIN_HOST"] },
];

/** Paths every service answers on its HTTP port (packages/runtime adminServer, and the gateway). */
export const HEALTH_PATHS: readonly string[] = ["/healthz", "/readyz"];

/** Addresses that accept connections from other containers. */
export const ALL_INTERFACES: readonly string[] = ["0.0.0.0", "::"];

/** Variables a container may set that no service reads: they configure Node.js itself. */
export const PLATFORM_VARIABLES: readonly string[] = ["NODE_ENV", "NODE_OPTIONS", "TZ"];

/**
 * grpc.health.v1 service names the wallet reports: "" for the whole server and the
 * fully qualified WalletService name, taken from the generated contract.
 */
export function walletHealthServiceNames(): string[] {
  const path = Object.values(WalletServiceService)[0].path;
  return ["", path.split("/")[1]];
}

/** Looks a service up by the name used for its compose service, Deployment and container. */
export function serviceFacts(name: string): ServiceFacts | undefined {
  return SERVICES.find((s) => s.name === name);
}
