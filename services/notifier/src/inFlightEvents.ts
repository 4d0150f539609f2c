/**
 * Events being handled in this process, so that two copies of one event (a
 * redelivery racing the first delivery, or the event published twice) never run
 * at once: the second copy waits for the first, then finds its deliveries recorded.
 */
export interface InFlightEvents {
  /** Runs `work` once no other copy of `eventId` is running; `onWait` is called if it has to wait. */
  run<T>(eventId: string, work: () => Promise<T>, onWait?: () => void): Promise<T>;
  /** Events with a copy running or waiting. */
  size(): number;
}

export function createInFlightEvents(): InFlightEvents {
  // The last copy in line per event; each copy starts when the one before it settles.
  const lines = new Map<string, Promise<void>>();
  return {
    run: async (eventId, work, onWait) => {
      const before = lines.get(eventId);
      let leave = () => {};
      const mine = new Promise<void>((resolve) => {
        leave = resolve;
      });
      lines.set(eventId, mine);
      try {
        if (before) {
          onWait?.();
          await before;
        }
        return await work();
      } finally {
        leave();
        if (lines.get(eventId) === mine) lines.delete(eventId);
      }
    },
    size: () => lines.size,
  };
}
