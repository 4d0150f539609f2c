export * from "./fingerprint.js";
export { descriptorSetBase64 } from "./gen/descriptorSet.js";
export { Timestamp } from "./gen/google/protobuf/timestamp.js";
export { TransactionCommitted } from "./gen/wallet/v1/events.js";
export * from "./gen/wallet/v1/wallet.js";
export * from "./inputRules.js";
