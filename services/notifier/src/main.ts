#!/usr/bin/env node
import { createLogger, handleShutdownSignals, runMain } from "@wallet/runtime";
import { startNotifier } from "./app.js";
import { loadNotifierConfig } from "./config.js";

runMain("notifier", async () => {
  const config = loadNotifierConfig();
  const logger = createLogger("notifier", config.LOG_LEVEL);
  const notifier = await startNotifier(config, logger);
  handleShutdownSignals(logger, config.SHUTDOWN_GRACE_MS, notifier.stop);
});
