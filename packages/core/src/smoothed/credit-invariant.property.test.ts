/**
 * R1 · CGV 6.1 with R4 · CGV 6.5 (fast-check): a plan year that starts with a credit carried from the
 * previous true-up (under 25.00 €, deducted from the next instalments) — with any consumption and any
 * instalments (readjustments included) — still satisfies « instalments + true-up balance = the year's
 * real bill », and what the customer is asked to pay over the year (the notices' amounts due after the
 * credit, then the true-up's settlement: + payable, − refunded or carried) is that bill minus the credit.
 * (true-up.property.test.ts checks the first equality without a carried credit.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { monthDay } from "../primitives/dates.ts";
import { type Dec, ZERO, add, dec, formatCents, neg, sub, sum } from "../primitives/money.ts";
import type { InstalmentNotice } from "./documents.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

describe("R1 · R4 smoothed billing with a carried credit — properties", () => {
  it("Σ instalments + balance = the year's TTC, and Σ amounts due + settlement = the year's TTC − the carried credit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2499 }),
        fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 12, maxLength: 12 }),
        fc.integer({ min: 0, max: 150_00 }),
        (creditCents, monthlyKwh, instalmentCents) => {
          const credit = formatCents(dec(creditCents).div(100));
          const amount = formatCents(dec(instalmentCents).div(100));
          const reads = [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "3000" })];
          let index = 3000;
          for (let m = 1; m <= 12; m++) reads.push(teleRead(monthDay("2025-09-01", m, 1), { BASE: String((index += monthlyKwh[m - 1]!)) }));
          // Instalment 1 was issued with the plan (amount due = amount − credit deducted then); here the
          // whole credit is still to deduct from instalment 2 on.
          let plan: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "0", amountsTtc: Array(12).fill(amount), creditToDeductTtc: credit };
          const notices: InstalmentNotice[] = [];
          let trueUp: Invoice | undefined;
          for (let m = 1; m <= 12; m++) {
            const c = exampleCase({ asOf: monthDay("2025-09-01", m, 1), contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed" }, reads, billing: { lastBillingDate: monthDay("2025-09-01", m - 1, 1), plan } });
            const out = dueSmoothedDocuments(c);
            if (!out.ok) throw new Error(out.failure.message);
            for (const d of out.documents) {
              if (d.kind === "instalmentNotice" && d.planReference === "K1/2025-09-01") notices.push(d);
              if (d.kind === "trueUpInvoice") trueUp = d;
            }
            plan = out.plan!;
          }
          const t = trueUp!.trueUp!;
          expect(formatCents(add(sum(t.instalments.map((i) => dec(i.amountTtc))), dec(t.balanceTtc)))).toBe(trueUp!.totalTtc);
          const s = t.settlement;
          const signed: Dec = s.kind === "payment" ? dec(s.amountTtc) : s.kind === "settled" ? ZERO : neg(dec(s.amountTtc));
          const asked = add(dec(amount), add(sum(notices.map((n) => dec(n.amountDueTtc))), signed));
          expect(formatCents(asked)).toBe(formatCents(sub(dec(trueUp!.totalTtc), dec(credit))));
        },
      ),
      { numRuns: 40 },
    );
  });
});
