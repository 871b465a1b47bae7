/**
 * R1 · CGV 6.1, a switch from monthly to smoothed billing (ruleset `switchClosingInvoice`, engine 0.3.4+):
 * the monthly invoice that closes monthly billing — the energy up to the first plan date, no subscription —
 * is an ordinary invoice. It starts from what the last monthly invoice billed up to (R2: « the next invoice
 * bills from where the previous one billed up to »; an estimate followed by an actual index is reconciled,
 * R5) and is no final invoice: the contract goes on.
 *
 * Contract 6 kVA BASE (the example offer: kWh 0.1370 + network 0.04 = 0.1770 HT, excise 33.70 €/MWh), tele-reads
 * 2024-09-01 1,000 and 2025-09-01 4,610; the last monthly invoice (2025-08-01) billed up to a history estimate
 * of 4,200 (the actual read before it: 2024-09-01). Smoothed billing starts on 2025-09-01.
 *   0.3.4: [08-01, 09-01) from 4,200 to 4,610 = 410 kWh (R5: a = 2024-09-01, floor 2024-07-01, nothing held
 *          back): 410 × 0.1770 = 72.57; excise 410 × 0.0337 = 13.817 → 13.82.
 *   0.3.3: from the reads' 1,000 + 3,610 × 334/365 at 08-01: 4,610 − that = 22382/73 = 306.60… kWh:
 *          × 0.1770 = 54.268… → 54.27; 103.40 kWh the last invoice's estimate fell short of were never billed,
 *          and the invoice said « Final invoice: the contract ended on 2025-09-01 ».
 */
import { describe, expect, it } from "vitest";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueSmoothedDocuments } from "./smoothed-billing.ts";

const c = exampleCase({
  asOf: "2025-09-01",
  contract: { start: "2024-09-01", billingDay: 1, billingMode: "smoothed" },
  reads: [teleRead("2024-09-01", { BASE: "1000" }), teleRead("2025-09-01", { BASE: "4610" })],
  billing: {
    lastBillingDate: "2025-08-01",
    lastIssueDate: "2025-08-01",
    lastIndexes: { BASE: { index: "4200", estimated: true, source: "history", actualReadDate: "2024-09-01" } },
  },
});
const closingOf = (engineVersion?: string): Invoice => {
  const out = dueSmoothedDocuments(c, {}, engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  expect(out.documents.map((d) => d.kind)).toEqual(["monthlyInvoice", "instalmentPlan", "instalmentNotice"]);
  return out.documents[0] as Invoice;
};
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.amount]);

describe("R1 · CGV 6.1 — the closing invoice of a switch to smoothed billing (engine 0.3.4)", () => {
  it("starts from the last monthly invoice's billed estimate (4,200): 410 kWh, 72.57 + 13.82; no final section, no subscription", () => {
    const inv = closingOf();
    expect(inv.final).toBeUndefined();
    expect(inv.subscriptionPeriod).toBeNull();
    expect(inv.energyPeriod).toEqual({ start: "2025-08-01", end: "2025-09-01" });
    expect(energy(inv)).toEqual([["energy", "410", "72.57"], ["excise", "410", "13.82"]]);
    expect(inv.consumption!.rule).not.toMatch(/R8/);
  });

  it("engine 0.3.3 (switchClosingInvoice false): a « final invoice » from the reads — 22382/73 kWh, 54.27 — replayed as issued", () => {
    const inv = closingOf("0.3.3");
    expect(inv.final?.explanation).toMatch(/^Final invoice: the contract ended on 2025-09-01/);
    expect(energy(inv).map(([k, , a]) => [k, a])).toEqual([["energy", "54.27"], ["excise", "10.33"]]);
  });
});
