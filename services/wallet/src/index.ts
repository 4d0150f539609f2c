export { startWallet, type WalletApp } from "./app.js";
export { configShape, loadWalletConfig, type WalletConfig } from "./config.js";
