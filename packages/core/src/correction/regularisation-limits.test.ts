import { describe, expect, it } from "vitest";
import { addYears, checkRegularisationLimit, elapsedText } from "./regularisation-limits.ts";

describe("R5 · CGV 6.6 regularisation limits", () => {
  const contest = (requestedOn: string) =>
    checkRegularisationLimit({ number: "FA-2021-000004", issueDate: "2021-03-01", requestedOn, initiatedBy: "customer", knownOn: "2021-03-01" });

  it("R5 · CGV 6.6 a customer contest on the day 5 years after the issue date is in time", () => {
    expect(contest("2026-03-01")).toEqual({ ok: true, lastDay: "2026-03-01" });
  });

  it("R5 · CGV 6.6 a customer contest at 5 years and 1 day is refused, naming the rule and the dates", () => {
    expect(contest("2026-03-02")).toEqual({
      ok: false,
      rule: "R5 · CGV 6.6",
      reason: "R5 · CGV 6.6: a customer may contest an invoice for 5 years; FA-2021-000004 issued 2021-03-01, contest on 2026-03-02 is 5 years and 1 day later (last day 2026-03-01)",
    });
  });

  it("R5 · CGV 6.6 a supplier regularisation is limited to 2 years from the day it knew the facts, not from the invoice", () => {
    const p = { number: "FA-2021-000004", issueDate: "2021-03-01", initiatedBy: "supplier" as const, knownOn: "2024-06-10", knownFrom: "read of 2024-06-10" };
    expect(checkRegularisationLimit({ ...p, requestedOn: "2026-06-10" })).toEqual({ ok: true, lastDay: "2026-06-10" });
    expect(checkRegularisationLimit({ ...p, requestedOn: "2026-06-11" })).toEqual({
      ok: false,
      rule: "R5 · CGV 6.6",
      reason:
        "R5 · CGV 6.6: the supplier may regularise an invoice up to 2 years after it knew or should have known the facts; FA-2021-000004: facts known on 2024-06-10 (read of 2024-06-10), regularisation on 2026-06-11 is 2 years and 1 day later (last day 2026-06-10)",
    });
  });

  it("R5 · CGV 6.6 years are calendar years; 29 February ends on 28 February", () => {
    expect(addYears("2024-02-29", 2)).toBe("2026-02-28");
    expect(addYears("2024-02-29", 4)).toBe("2028-02-29");
    expect(elapsedText("2021-03-01", "2026-03-02")).toBe("5 years and 1 day");
    expect(elapsedText("2021-03-01", "2021-03-13")).toBe("12 days");
    expect(elapsedText("2021-03-01", "2023-03-01")).toBe("2 years");
  });
});
