export { type RunningNotifier, startNotifier } from "./app.js";
export type { DeliveryChannel, DeliveryOutcome } from "./channels/channel.js";
export { signWebhook, WEBHOOK_EVENT_TYPE } from "./channels/webhook.js";
export {
  CHANNEL_NAMES,
  type ChannelName,
  configShape,
  loadNotifierConfig,
  type NotifierConfig,
} from "./config.js";
export { DEAD_LETTER_HEADERS, DEAD_LETTER_SUBJECT, deadLetterSubject } from "./deadLetter.js";
export { DELIVERY_BUCKET } from "./deliveryRecords.js";
