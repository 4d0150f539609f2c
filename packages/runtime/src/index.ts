export { type AdminServer, type Readiness, startAdminServer } from "./adminServer.js";
export { ConfigError, type ConfigOf, type ConfigShape, env } from "./config.js";
export {
  DLQ_STREAM,
  DLQ_SUBJECT_PREFIX,
  DLQ_SUBJECTS,
  EVENT_CONTENT_TYPE,
  EVENTS_STREAM,
  EVENTS_SUBJECTS,
  ensureWalletStreams,
  HOLD_EVENT_CONTENT_TYPE,
  HOLD_STATUS_SUBJECT,
  HOLD_SUBJECT_PREFIX,
  HOLD_SUBJECTS,
  isValidRequestId,
  REQUEST_ID_HEADER,
  REQUEST_ID_PATTERN,
  TRANSACTION_COMMITTED_SUBJECT,
  walletStreamConfigs,
} from "./jetstream.js";
export { createLogger, type Logger } from "./logger.js";
export { runMain } from "./main.js";
export { createMetricsRegistry } from "./metrics.js";
export {
  type DevDefault,
  type GrpcTlsFiles,
  grpcTlsChecks,
  logDevMode,
  type NatsCredentialsConfig,
  natsAuthOptions,
  requireSetting,
} from "./security.js";
export {
  type ServiceConfig,
  type ServiceConfigChecks,
  type ServiceShapeOptions,
  serviceConfig,
  serviceShape,
} from "./serviceConfig.js";
export { handleShutdownSignals, inFlightBudgetMs } from "./shutdown.js";
