import { createLogger, handleShutdownSignals, runMain } from "@wallet/runtime";
import { startGateway } from "./app.js";
import { loadGatewayConfig } from "./config.js";

runMain("gateway", async () => {
  const config = loadGatewayConfig();
  const logger = createLogger("gateway", config.LOG_LEVEL);
  const gateway = await startGateway(config, logger);
  handleShutdownSignals(logger, config.SHUTDOWN_GRACE_MS, gateway.stop);
});
