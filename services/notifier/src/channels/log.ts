import { eventView, holdChange, holdEventView } from "../event.js";
import type { DeliveryChannel } from "./channel.js";

/** Writes one structured line per event to the service log. */
export function createLogChannel(): DeliveryChannel {
  return {
    name: "log",
    deliver: async (event, log) => {
      if (event.kind === "hold") {
        const { metadata: _metadata, ownerEmail: _email, ...view } = holdEventView(event);
        log.info({ channel: "log", notification: view }, `hold ${holdChange(event)}`);
        return "delivered";
      }
      const { metadata: _metadata, ownerEmail: _email, ...view } = eventView(event.transaction);
      log.info({ channel: "log", notification: view }, "transaction committed");
      return "delivered";
    },
  };
}
