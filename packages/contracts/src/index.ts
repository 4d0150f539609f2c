export * from "./errorDetails.js";
export * from "./fingerprint.js";
export { descriptorSetBase64 } from "./gen/descriptorSet.js";
export { Timestamp } from "./gen/google/protobuf/timestamp.js";
export { ErrorInfo } from "./gen/google/rpc/error_details.js";
export { Status as RpcStatus } from "./gen/google/rpc/status.js";
export { HoldChanged, TransactionCommitted } from "./gen/wallet/v1/events.js";
export * from "./gen/wallet/v1/wallet.js";
export * from "./inputRules.js";
