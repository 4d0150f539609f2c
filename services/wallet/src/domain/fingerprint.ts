// Shared with the gateway, which fingerprints the same normalised request.
export { balanceChangeFingerprint, requestFingerprint, transferFingerprint } from "@wallet/contracts";
