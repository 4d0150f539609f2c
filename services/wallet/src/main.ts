import { createLogger, handleShutdownSignals, runMain } from "@wallet/runtime";
import { startWallet } from "./app.js";
import { loadWalletConfig } from "./config.js";

runMain("wallet", async () => {
  const config = loadWalletConfig();
  const logger = createLogger("wallet", config.LOG_LEVEL);
  const app = await startWallet(config, logger);
  handleShutdownSignals(logger, config.SHUTDOWN_GRACE_MS, () => app.stop());
});
