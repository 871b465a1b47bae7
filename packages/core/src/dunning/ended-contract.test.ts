/**
 * R10 with R8: a customer whose contracts have all ended keeps its unpaid-bill procedure to the end,
 * without the steps that act on supply (docs/rules.md, "Contract life").
 */
import { describe, expect, it } from "vitest";
import { datesOf, driveProcedure } from "../testing/dunning-driver.ts";
import { ORDINARY_SITUATION } from "./customer-situation.ts";
import { nextDunningStep } from "./unpaid-bill-procedure.ts";

const ended = { ...ORDINARY_SITUATION, supplied: false };
const receipts = { reminder: 2, formalNotice: 3, housingFundLetter: 2 } as const;

describe("R10 · R8 unpaid final invoice of an ended contract", () => {
  it("R10 reminder the day after the due date, formal notice 15 days after its receipt, then nothing to request (no supply to cut)", () => {
    const taken = driveProcedure({ dueDate: "2025-08-04", from: "2025-08-01", to: "2025-12-31", situation: ended, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-08-05", "reminder"], // received 08-07; 15 days run 08-08 … 08-22
      ["2025-08-23", "formalNotice"],
    ]);
    const last = nextDunningStep({
      customerId: "C1",
      today: "2025-12-31",
      situation: ended,
      overdue: [{ itemRef: "invoice:FA-2025-000009", dueDate: "2025-08-04", amountOwedTtc: "36.21" }],
      steps: [
        { step: "reminder", takenOn: "2025-08-05", letterSentOn: "2025-08-05", letterReceivedOn: "2025-08-07" },
        { step: "formalNotice", takenOn: "2025-08-23", letterSentOn: "2025-08-23", letterReceivedOn: "2025-08-26" },
      ],
    });
    expect(last).toMatchObject({ outcome: "complete", step: null, legalBasis: expect.stringMatching(/^CGV 9\.1, 10\.3/) });
  });

  it("R10 the same customer still supplied gets the suspension first (unchanged procedure)", () => {
    const taken = driveProcedure({ dueDate: "2025-08-04", from: "2025-08-01", to: "2025-09-30", situation: ORDINARY_SITUATION, receiptAfter: receipts });
    expect(datesOf(taken).slice(0, 2)).toEqual([["2025-08-05", "reminder"], ["2025-08-23", "suspension"]]);
  });
});
