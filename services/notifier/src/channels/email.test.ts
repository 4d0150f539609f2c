import { describe, expect, it } from "vitest";
import { formatMoney } from "./email.js";

describe("email", () => {
  it("email - formats minor units exactly by the currency's digits", () => {
    expect(formatMoney(1050n, "USD")).toBe("10.50 USD");
    expect(formatMoney(5n, "EUR")).toBe("0.05 EUR");
    expect(formatMoney(1500n, "JPY")).toBe("1500 JPY");
    expect(formatMoney(9007199254740993n, "USD")).toBe("90071992547409.93 USD");
  });
});
