import { describe, expect, it } from "vitest";
import { createInFlightEvents } from "./inFlightEvents.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("inFlightEvents", () => {
  it("inFlightEvents - a second copy of an event starts only after the first settles", async () => {
    const events = createInFlightEvents();
    const order: string[] = [];
    let finishFirst = () => {};
    let waited = 0;
    const first = events.run("ev1", async () => {
      order.push("first start");
      await new Promise<void>((r) => {
        finishFirst = r;
      });
      order.push("first end");
    });
    const second = events.run(
      "ev1",
      async () => {
        order.push("second start");
      },
      () => waited++,
    );
    await tick();
    expect(order).toEqual(["first start"]);
    expect(waited).toBe(1);
    finishFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(["first start", "first end", "second start"]);
    expect(events.size()).toBe(0);
  });

  it("inFlightEvents - different events run at once, and a failed copy lets the next one run", async () => {
    const events = createInFlightEvents();
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    await Promise.all([events.run("a", work), events.run("b", work)]);
    expect(most).toBe(2);

    const failing = events.run("c", async () => {
      throw new Error("boom");
    });
    const next = events.run("c", async () => "ran");
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBe("ran");
    expect(events.size()).toBe(0);
  });
});
