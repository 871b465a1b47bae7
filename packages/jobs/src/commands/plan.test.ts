/**
 * `billing plan show` as text (R1 · CGV 6.1, R4 · CGV 6.5), from a plan history written by hand: the
 * layout without a store (the store-backed report is tested in test/demo.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { PlanHistory } from "@billing/db";
import type { TrueUpSection } from "@billing/core";
import { formatPlanHistory } from "./plan.ts";

type Plan = PlanHistory["plans"][number];
type Notice = PlanHistory["notices"][number];
type Check = PlanHistory["readjustments"][number];

const stored = { run_id: 1, issued_at: new Date("2026-09-01T02:00:00Z") };
const plan = (reference: string, start: string, end: string, kwh: string, ht: string, ttc: string, amounts: string[], credit: string): Plan => ({
  ...stored, reference, contract_id: "K1", start_date: start, end_date: end, issue_date: start, basis: "history",
  basis_detail: `12 months of reads — BASE: ${end === "2026-09-01" ? "2024-09-01" : "2025-09-01"}..${start}`,
  estimated_kwh: { BASE: kwh }, estimated_total_ht: ht, estimated_total_ttc: ttc, amounts_ttc: amounts, credit_to_deduct_ttc: credit, rule: "R1 · CGV 6.1",
});
const notice = (planReference: string, no: number, billingDate: string, dueDate: string, amount: string, credit: string, due: string): Notice => ({
  ...stored, contract_id: "K1", plan_reference: planReference, instalment_no: no, billing_date: billingDate, issue_date: billingDate,
  due_date: dueDate, amount_ttc: amount, credit_deducted_ttc: credit, amount_due_ttc: due,
});
const check = (date: string, applied: boolean, reason: string): Check => ({
  ...stored, contract_id: "K1", plan_reference: "K1/2025-09-01", check_date: date, issue_date: date, applied,
  new_amount_ttc: applied ? "126.05" : null, amounts_ttc: [], reason, document: {},
});
const trueUp = (number: string, date: string, total: string, u: Partial<TrueUpSection> & { explanation: string }): PlanHistory["trueUps"][number] => ({
  number, billing_date: date, issue_date: date, total_ttc: total,
  true_up: {
    planReference: "", planStart: "", planEnd: date, termination: false, instalments: [], instalmentsTotalTtc: "0.00", balanceTtc: "0.00", creditCarriedInTtc: "0.00",
    ...u,
    settlement: { kind: "refund", amountTtc: "0.00", dueDate: null, rule: "R4 · CGV 6.5", explanation: u.explanation },
  },
});

const HISTORY: PlanHistory = {
  contract: { billing_mode: "smoothed", switch_to_monthly_on: "2026-06-15" },
  waitingTrueUp: null,
  plans: [
    plan("K1/2025-09-01", "2025-09-01", "2026-09-01", "3610", "922.51", "1107.01", [...Array(11).fill("92.25"), "92.26"], "0.00"),
    plan("K1/2026-09-01", "2026-09-01", "2027-09-01", "3500", "934.33", "1121.20", [...Array(11).fill("93.43"), "93.47"], "24.99"),
  ],
  notices: [
    notice("K1/2025-09-01", 1, "2025-09-01", "2025-09-16", "92.25", "0.00", "92.25"),
    notice("K1/2025-09-01", 4, "2025-12-01", "2025-12-16", "126.05", "0.00", "126.05"),
    notice("K1/2026-09-01", 1, "2026-09-01", "2026-09-16", "93.43", "24.99", "68.44"),
  ],
  readjustments: [
    check("2025-12-01", true, "projected year 1411.21 € is 27.48 % from the plan's 1107.01 €, beyond ±10 %: the 9 remaining instalments become 126.05 €"),
    check("2026-03-01", false, "projected year 1380.00 € is −2.21 % from the plan's 1411.21 €, within ±10 %: instalments unchanged"),
  ],
  trueUps: [
    trueUp("FA-000007", "2026-09-01", "1103.20", {
      planReference: "K1/2025-09-01", instalmentsTotalTtc: "1128.19", balanceTtc: "-24.99",
      explanation: "Credit of 24.99 € (under 25.00 €): deducted from the next instalment.",
    }),
    trueUp("FA-000019", "2027-03-15", "507.54", {
      planReference: "K1/2026-09-01", instalmentsTotalTtc: "658.14", balanceTtc: "-150.60", termination: true,
      explanation: "Credit of 150.60 € found at termination: refunded by 2027-03-30.",
    }),
  ],
};

describe("billing plan show (text)", () => {
  it("R1 · R4 · CGV 6.1, 6.5 one block per plan: estimate and basis, priced total, the 12 amounts, a carried credit, the notices, the checks and the true-up", () => {
    expect(formatPlanHistory("K1", HISTORY).split("\n")).toEqual([
      "Contract K1  billed smoothed; asked on 2026-06-15 to be billed monthly (from the first plan anniversary on or after that date)",
      "",
      "Plan K1/2025-09-01  2025-09-01..2026-09-01  issued 2025-09-01",
      "  Estimate   BASE 3610 kWh (history: 12 months of reads — BASE: 2024-09-01..2025-09-01)",
      "  Priced     1107.01 € TTC (922.51 € HT) at the prices known on 2025-09-01",
      "  Planned    92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.25 92.26",
      "  Instalments issued",
      "    #   Billing date  Due date    Amount  Credit   To pay",
      "     1  2025-09-01    2025-09-16   92.25    0.00    92.25",
      "     4  2025-12-01    2025-12-16  126.05    0.00   126.05",
      "  Readjustments",
      "    2025-12-01  APPLIED  projected year 1411.21 € is 27.48 % from the plan's 1107.01 €, beyond ±10 %: the 9 remaining instalments become 126.05 €",
      "    2026-03-01  kept     projected year 1380.00 € is −2.21 % from the plan's 1411.21 €, within ±10 %: instalments unchanged",
      "  True-up    FA-000007 (2026-09-01, issued 2026-09-01): year 1103.20 € TTC − instalments 1128.19 = -24.99",
      "             Credit of 24.99 € (under 25.00 €): deducted from the next instalment.",
      "",
      "Plan K1/2026-09-01  2026-09-01..2027-09-01  issued 2026-09-01",
      "  Estimate   BASE 3500 kWh (history: 12 months of reads — BASE: 2025-09-01..2026-09-01)",
      "  Priced     1121.20 € TTC (934.33 € HT) at the prices known on 2026-09-01",
      "  Planned    93.43 93.43 93.43 93.43 93.43 93.43 93.43 93.43 93.43 93.43 93.43 93.47",
      "  Credit     24.99 € carried from the previous true-up (R4)",
      "  Instalments issued",
      "    #   Billing date  Due date    Amount  Credit   To pay",
      "     1  2026-09-01    2026-09-16   93.43   24.99    68.44",
      "  True-up    FA-000019 (2027-03-15, issued 2027-03-15): year 507.54 € TTC − instalments 658.14 = -150.60 (termination)",
      "             Credit of 150.60 € found at termination: refunded by 2027-03-30.",
      "",
    ]);
  });

  it("R1 · CGV 6.1 the true-up that ends smoothed billing says the contract is billed monthly from its anniversary", () => {
    const h: PlanHistory = {
      ...HISTORY,
      contract: { billing_mode: "monthly", switch_to_monthly_on: null },
      plans: HISTORY.plans.slice(0, 1),
      trueUps: [{ ...HISTORY.trueUps[0]!, true_up: { ...HISTORY.trueUps[0]!.true_up, switchToMonthly: true } }],
    };
    const lines = formatPlanHistory("K1", h).split("\n");
    expect(lines[0]).toBe("Contract K1  billed monthly");
    expect(lines).toContain("  True-up    FA-000007 (2026-09-01, issued 2026-09-01): year 1103.20 € TTC − instalments 1128.19 = -24.99 (last: billed monthly from 2026-09-01)");
  });

  it("R1 · CGV 6.1 (engine 0.3.5) a true-up waiting for the distributor's index: in its year's block — since when, for what, the latest distributor index, the credit it deducts; not owed", () => {
    // Year 1's true-up waits since the anniversary night (plan 2 issued 2026-09-01); the latest distributor
    // index is of 2026-03-02, received 2026-03-05; the year had 24.99 € of credit left to deduct.
    const h: PlanHistory = {
      ...HISTORY,
      trueUps: [],
      notices: HISTORY.notices.slice(0, 2),
      waitingTrueUp: {
        plan_reference: "K1/2025-09-01", start_date: "2025-09-01", end_date: "2026-09-01", since: "2026-09-01", credit_to_deduct_ttc: "24.99",
        last_distributor_read: { read_date: "2026-03-02", received_on: "2026-03-05" },
      },
    };
    const lines = formatPlanHistory("K1", h).split("\n");
    const at = lines.indexOf("    2026-03-01  kept     projected year 1380.00 € is −2.21 % from the plan's 1411.21 €, within ±10 %: instalments unchanged");
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "  True-up    WAITING since 2026-09-01 for the distributor's index on or after 2026-09-01 (year 2025-09-01..2026-09-01); latest distributor index: 2026-03-02 (received 2026-03-05)",
      "             Not issued: billing date 2026-09-01, issued the night that index is received; it deducts the credit of 24.99 € carried (R4). Nothing of it is owed until then.",
      "",
    ]);
    // Only in its own year's block; none without a credit, none stored.
    expect(lines.filter((l) => l.includes("WAITING"))).toHaveLength(1);
    const bare = formatPlanHistory("K1", { ...h, waitingTrueUp: { ...h.waitingTrueUp!, since: "2026-10-14", credit_to_deduct_ttc: "0.00", last_distributor_read: null } }).split("\n");
    expect(bare.slice(at + 1, at + 3)).toEqual([
      "  True-up    WAITING since 2026-10-14 for the distributor's index on or after 2026-09-01 (year 2025-09-01..2026-09-01); latest distributor index: none stored",
      "             Not issued: billing date 2026-09-01, issued the night that index is received. Nothing of it is owed until then.",
    ]);
  });
});
