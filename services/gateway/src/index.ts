export { DEV_JWT_SECRET, mintToken } from "@wallet/auth";
export { buildGateway, type RunningGateway, startGateway } from "./app.js";
export { configShape, type GatewayConfig, loadGatewayConfig } from "./config.js";
