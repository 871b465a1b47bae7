/**
 * R5 · CGV 6.6 — « the supplier may regularise an invoice up to 2 years after it knew or should have
 * known the facts »; « over-billing is always credited back ». Past its 2 years a supplier's
 * regularisation is refused only when it would charge the customer: a credit is still issued (found by
 * the 2026-12-05 audit: every invoice was refused, the customer got nothing back).
 *
 * Example contract, the offer also priced at 9 kVA (10.00 €/month supply); four monthly invoices
 * (2025-02-15 … 2025-05-15) billed at one power, corrected to the other from 2025-02-15.
 */
import { describe, expect, it } from "vitest";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { type IssuedInvoice, recalculate } from "./recalculation.ts";

function billed(kva: number): IssuedInvoice[] {
  const days = ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15"];
  const base = exampleCase();
  const c = exampleCase({
    asOf: "2025-05-15",
    contract: { ...base.contract, subscribedKva: kva },
    offer: { ...base.offer, subscription: [...base.offer.subscription, { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "10.00" }] },
    reads: days.map((d, i) => teleRead(d, { BASE: String(1000 + 300 * i) })),
  });
  const out = dueInvoices(c);
  if (!out.ok) throw new Error(out.failure.message);
  return out.invoices.slice(1).map((document, i) => ({ number: `FA-${i + 2}`, document, storedCase: c }));
}
const powerTo = (kva: number) => ({ reads: [], exceptions: [], event: { type: "powerChange" as const, date: "2025-02-15", subscribedKva: kva } });
const summary = (r: ReturnType<typeof recalculate>) => r.map((x) => [x.number, x.status, "totals" in x && x.totals ? x.totals.ttc : null]);

describe("R5 · CGV 6.6 — a supplier's regularisation past its 2 years: credits still issued, charges refused", () => {
  it("billed at 9 kVA, 6 kVA true, asked on 2027-06-01 (facts known 2025-03-01, last day 2027-03-01): every invoice corrected by a credit, as the customer's own contest gives", () => {
    const issued = billed(9);
    const supplier = recalculate(issued, powerTo(6), { requestedOn: "2027-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    const customer = recalculate(issued, powerTo(6), { requestedOn: "2027-06-01", initiatedBy: "customer" });
    expect(summary(supplier)).toEqual(summary(customer));
    expect(supplier.every((x) => x.status === "corrected" && x.totals.ttc.startsWith("-"))).toBe(true);
  });

  it("billed at 6 kVA, 9 kVA true: each correction would charge more — refused past the 2 years with why; within them (and 14 months), corrected", () => {
    const issued = billed(6);
    const late = recalculate(issued, powerTo(9), { requestedOn: "2027-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    expect(late.map((x) => x.status)).toEqual(["refused", "refused", "refused", "refused"]);
    expect(late[0]!.status === "refused" && late[0]!.reason).toMatch(/up to 2 years after it knew.*last day 2027-03-01\); it would charge \d+\.\d\d € TTC more \(a credit would still be issued\)/);
    // Within the 2 years and the 14 months (R5's cap on a late event): corrected, each a charge.
    const inTime = recalculate(issued, powerTo(9), { requestedOn: "2025-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    expect(inTime.every((x) => x.status === "corrected" && !x.totals.ttc.startsWith("-"))).toBe(true);
  });
});
