export { buildGateway, type RunningGateway, startGateway } from "./app.js";
export { mintToken } from "./auth/mintToken.js";
export { configShape, DEV_JWT_SECRET, type GatewayConfig, loadGatewayConfig } from "./config.js";
