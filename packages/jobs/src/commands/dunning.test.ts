/**
 * `billing dunning show` and `billing dunning run` as text (R10 · CGV 8, 9), from values written by
 * hand: the layout without a store (the store-backed step is tested in test/dunning.test.ts).
 */
import { describe, expect, it } from "vitest";
import { ORDINARY_SITUATION, nextDunningStep } from "@billing/core";
import { formatDunningOutlook, formatDunningSummary } from "./dunning.ts";

describe("R10 billing dunning — text", () => {
  it("R10 show prints the situation, each step with its legal basis and letter dates, and the next step with what blocks it", () => {
    const situation = { ...ORDINARY_SITUATION, energyCheque: true, housingFundApplications: [{ filedOn: "2025-06-01" }] };
    const overdue = [{ itemRef: "invoice:FA-2025-000002", dueDate: "2025-05-16", amountOwedTtc: "60.49" }];
    const steps = [{ step: "reminder" as const, takenOn: "2025-05-17", letterSentOn: "2025-05-17", letterReceivedOn: "2025-05-19" }];
    const text = formatDunningOutlook({
      customerId: "CU2",
      asOf: "2025-06-25",
      situation,
      overdue,
      procedures: [{
        id: 7, customerId: "CU2", itemRef: "invoice:FA-2025-000002", itemDueDate: "2025-05-16", openedOn: "2025-05-17",
        steps: [{
          ...steps[0]!, id: 12, earliestDate: "2025-05-17", balanceTtc: "60.49", feeRebillable: null, rule: "R10",
          legalBasis: "CGV 9.1; décret 2008-780 (mod. 2023-133) — reminder", explanation: "Reminder letter on 2025-05-17.", inputs: {}, receiptSource: "cli",
        }],
      }],
      next: nextDunningStep({ customerId: "CU2", overdue, steps, situation, today: "2025-06-25" }),
    });
    expect(text).toBe([
      "Customer CU2 as of 2025-06-25: energy cheque, main residence, communicating meter",
      "  FSL application filed 2025-06-01, undecided",
      "  Overdue: invoice:FA-2025-000002 due 2025-05-16: 60.49 €",
      "",
      "Procedure #7 opened 2025-05-17 on invoice:FA-2025-000002 (due 2025-05-16)",
      "  #12    2025-05-17  reminder          balance 60.49 €  (earliest 2025-05-17)  sent 2025-05-17, received 2025-05-19",
      "         CGV 9.1; décret 2008-780 (mod. 2023-133) — reminder",
      "         Reminder letter on 2025-05-17.",
      "",
      "Next: housingFundLetter from 2025-08-02",
      "  CGV 8.2; décret 2008-780 (mod. 2023-133) — no FSL decision within 2 months of the application: suspension possible 20 days after this letter",
      "  Housing-fund letter may be taken from 2025-08-02: the FSL application filed on 2025-06-01 has no decision after 2 months; overdue balance 60.49 €. " +
        "Blocked: FSL application filed on 2025-06-01 pending: supply kept on until 2025-08-01 at least.",
      "",
    ].join("\n"));
  });

  it("R10 run prints the counts, each step taken and the failures", () => {
    const text = formatDunningSummary({
      date: "2025-06-04", dryRun: false, customers: 3, waiting: 1,
      counts: { reminder: 0, housingFundLetter: 0, limitation: 0, suspension: 1, formalNotice: 1, interruption: 0, settled: 0 },
      taken: [
        { customerId: "CU1", procedureId: 1, stepId: 4, step: "suspension", explanation: "Suspension request on 2025-06-04." },
        { customerId: "CU1", procedureId: 1, stepId: 5, step: "formalNotice", explanation: "Formal notice on 2025-06-04." },
      ],
      failures: [{ customerId: "CX", reason: "customer CX is not in the store" }],
    });
    expect(text).toBe([
      "Dunning 2025-06-04: 3 customer(s) with an overdue balance or an open procedure",
      "  steps recorded: suspension 1, formalNotice 1",
      "  waiting (delay, receipt, truce, FSL): 1",
      "  CU1  suspension        #4 Suspension request on 2025-06-04.",
      "  CU1  formalNotice      #5 Formal notice on 2025-06-04.",
      "  failed: 1",
      "  CX  FAILED  customer CX is not in the store",
      "",
    ].join("\n"));
  });
});
