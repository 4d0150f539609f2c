import { eventView } from "../event.js";
import type { DeliveryChannel } from "./channel.js";

/** Writes one structured line per event to the service log. */
export function createLogChannel(): DeliveryChannel {
  return {
    name: "log",
    deliver: async (event, log) => {
      const { metadata: _metadata, ownerEmail: _email, ...view } = eventView(event);
      log.info({ channel: "log", notification: view }, "transaction committed");
      return "delivered";
    },
  };
}
