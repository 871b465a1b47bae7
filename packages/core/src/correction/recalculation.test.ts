/**
 * R8 · R5 (issue 14): the recalculation with a contract event as its what-if, pure — a late end makes the
 * invoice covering it re-issued up to the end, the next one the final invoice (billing date = the end),
 * the later ones cancelled only; a late power change re-makes the invoices from its date; R5's 14-month
 * cap keeps an increase on older days as issued and never a decrease.
 */
import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { type IssuedInvoice, RULE_R5_EVENT_CAP, recalculate } from "./recalculation.ts";

/** K1 (BASE, billed on the 15th from 2025-01-15), billed up to 2025-05-15 in one computation, 300 kWh a month; 6 kVA at 8.00, 9 kVA at 10.00 a month. */
function billed(kva = 6): IssuedInvoice[] {
  const days = ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15"];
  const base = exampleCase();
  const c = exampleCase({
    asOf: "2025-05-15",
    contract: { ...base.contract, subscribedKva: kva },
    offer: { ...base.offer, subscription: [...base.offer.subscription, { from: "2020-01-01", priceOption: "BASE", kva: 9, monthlyHt: "10.00" }] },
    reads: [...days.map((d, i) => teleRead(d, { BASE: String(1000 + 300 * i) })), teleRead("2025-03-20", { BASE: "1650" })],
  });
  const out = dueInvoices(c);
  if (!out.ok) throw new Error(out.failure.message);
  return out.invoices.map((document, i) => ({ number: `FA-${i + 1}`, document, storedCase: c }));
}

describe("recalculate with a contract event (R8 · R5 · CGV 6.6)", () => {
  it("R8 · CGV 10.3 a late end on 2025-03-20: 03-15 re-issued up to the end, 04-15 becomes the final invoice of 03-20, 05-15 cancelled only", () => {
    const issued = billed().slice(2);
    const r = recalculate(issued, { reads: [], exceptions: [], event: { type: "contractEnd", date: "2025-03-20", reason: "supplierSwitch", receivedOn: "2025-06-01" } },
      { requestedOn: "2025-06-01", initiatedBy: "supplier", knownOn: "2025-06-01" });
    expect(r.map((x) => [x.number, x.status, x.status === "corrected" ? x.recomputed.billingDate : null])).toEqual([
      ["FA-3", "corrected", "2025-03-15"],
      ["FA-4", "corrected", "2025-03-20"],
      ["FA-5", "cancelled", null],
    ]);
    const [march, final] = r as Extract<(typeof r)[number], { recomputed: unknown }>[];
    expect(march!.recomputed.subscriptionPeriod).toEqual({ start: "2025-03-15", end: "2025-03-20" });
    // The final invoice: energy [03-15, 03-20) on the tele-read of the end (1600 → 1650), no subscription.
    expect(final!.recomputed).toMatchObject({ subscriptionPeriod: null, energyPeriod: { start: "2025-03-15", end: "2025-03-20" }, final: { end: "2025-03-20" } });
    expect(final!.recomputed.lines.map((l) => [l.kind, l.quantity])).toEqual([["energy", "50"], ["excise", "50"]]);
  });

  it("R8 · CGV 3.6 a withdrawal with nothing owed (the end on the first day of supply, 2025-01-15): every invoice cancelled, none replaced, no final invoice", () => {
    const issued = billed();
    expect(issued[0]!.storedCase.contract.start).toBe("2025-01-15");
    const r = recalculate(issued, { reads: [], exceptions: [], event: { type: "contractEnd", date: "2025-01-15", reason: "withdrawal", requestedBy: "customer", receivedOn: "2025-05-20" } },
      { requestedOn: "2025-05-20", initiatedBy: "supplier", knownOn: "2025-05-20" });
    expect(r.map((x) => [x.number, x.status])).toEqual([1, 2, 3, 4, 5].map((n) => [`FA-${n}`, "cancelled"]));
    expect(r[0]!.status === "cancelled" && r[0]!.reason).toMatch(/^R8 · CGV 3\.6: the contract ends on 2025-01-15, on or before its first day of supply 2025-01-15 .*nothing is owed/);
  });

  it("R5 a late power increase charges nothing more for days older than 14 months before the correction; a decrease is never capped", () => {
    const issued = billed();
    const request = { requestedOn: "2026-05-01", initiatedBy: "supplier" as const, knownOn: "2026-05-01" }; // floor 2025-03-01
    const increase = recalculate(issued.slice(1), { reads: [], exceptions: [], event: { type: "powerChange", date: "2025-02-20", subscribedKva: 9 } }, request);
    expect(increase.map((x) => [x.number, x.status, x.status === "refused" ? x.rule : ""])).toEqual([
      ["FA-2", "refused", RULE_R5_EVENT_CAP], // its subscription [02-15, 03-15) re-priced from 02-15: before the floor
      ["FA-3", "corrected", ""],
      ["FA-4", "corrected", ""],
      ["FA-5", "corrected", ""],
    ]);
    const decrease = recalculate(billed(9).slice(1), { reads: [], exceptions: [], event: { type: "powerChange", date: "2025-02-20", subscribedKva: 6 } }, request);
    expect(decrease.map((x) => x.status)).toEqual(["corrected", "corrected", "corrected", "corrected"]);
  });
});

/**
 * R5 · CGV 6.6 — « the supplier may regularise an invoice up to 2 years after it knew or should have
 * known the facts »; « over-billing is always credited back ». Past its 2 years a supplier's
 * regularisation is refused only when it would charge the customer: a credit is still issued (found by
 * the 2026-12-05 audit: every invoice was refused, the customer got nothing back). Invoices 2025-02-15 …
 * 2025-05-15 billed at one power, corrected to the other from 2025-02-15.
 */
const powerTo = (kva: number) => ({ reads: [], exceptions: [], event: { type: "powerChange" as const, date: "2025-02-15", subscribedKva: kva } });
const summary = (r: ReturnType<typeof recalculate>) => r.map((x) => [x.number, x.status, "totals" in x && x.totals ? x.totals.ttc : null]);

describe("R5 · CGV 6.6 — a supplier's regularisation past its 2 years: credits still issued, charges refused", () => {
  it("billed at 9 kVA, 6 kVA true, asked on 2027-06-01 (facts known 2025-03-01, last day 2027-03-01): every invoice corrected by a credit, as the customer's own contest gives", () => {
    const issued = billed(9).slice(1);
    const supplier = recalculate(issued, powerTo(6), { requestedOn: "2027-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    const customer = recalculate(issued, powerTo(6), { requestedOn: "2027-06-01", initiatedBy: "customer" });
    expect(summary(supplier)).toEqual(summary(customer));
    expect(supplier.every((x) => x.status === "corrected" && x.totals.ttc.startsWith("-"))).toBe(true);
  });

  it("billed at 6 kVA, 9 kVA true: each correction would charge more — refused past the 2 years with why; within them (and 14 months), corrected", () => {
    const issued = billed(6).slice(1);
    const late = recalculate(issued, powerTo(9), { requestedOn: "2027-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    expect(late.map((x) => x.status)).toEqual(["refused", "refused", "refused", "refused"]);
    expect(late[0]!.status === "refused" && late[0]!.reason).toMatch(/up to 2 years after it knew.*last day 2027-03-01\); it would charge \d+\.\d\d € TTC more \(a credit would still be issued\)/);
    // Within the 2 years and the 14 months (R5's cap on a late event): corrected, each a charge.
    const inTime = recalculate(issued, powerTo(9), { requestedOn: "2025-06-01", initiatedBy: "supplier", knownOn: "2025-03-01" });
    expect(inTime.every((x) => x.status === "corrected" && !x.totals.ttc.startsWith("-"))).toBe(true);
  });
});
