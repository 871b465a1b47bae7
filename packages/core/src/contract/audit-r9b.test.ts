/**
 * R9 · R8 · R4 audit (monthly invoices): independent cases worked out by hand against RULES.md.
 * - R9: a distributor service at the catalogue price in force on the service date, no markup, VAT at the
 *   normal rate; a TTC catalogue price brought back to HT (half-up to the cent).
 * - R8: a power change 6 → 9 kVA on the 10th of April 2026 (30 days), the subscription and its CTA
 *   (base CG + CC + b × kVA, moving with the kVA) prorated per R1 on each side of the change date; the fee
 *   passed through; the annual-character charge of a reversal less than a year after the opposite change.
 * - R4: a credit below 25.00 € carried to the next invoice, ≥ 25.00 € refunded within 15 days.
 */
import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import type { Invoice } from "../invoice/document.ts";
import { catalogueFeeHt, reversedChange } from "./power-change.ts";
import type { Catalogue } from "../distributor/catalogue.ts";
import { serviceRebilling } from "../distributor/service-rebilling.ts";
import { servicePriceHt } from "../distributor/service-price.ts";
import { decideService } from "../distributor/service-request.ts";
import { refundDecision, refundDueOnRequest } from "../payment/refund.ts";
import { allocate, type LedgerEntry } from "../payment/ledger.ts";

const ok = (o: ReturnType<typeof dueInvoices>) => {
  if (!o.ok) throw new Error(o.failure.message);
  return o;
};
const lines = (inv: Invoice) => inv.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount]);
const totals = (inv: Invoice) => [inv.totalHt, inv.totalVat, inv.totalTtc];

// TURPE fixed part depending on kVA: CG 16.80 + CC 22.00 + b 11.07 €/kVA/yr → 6 kVA 105.22 €/yr, 9 kVA 138.43 €/yr.
// Supply part 8.00 (6 kVA) / 10.00 (9 kVA) per month; energy 0.1370 + network 0.04 = 0.1770 €/kWh; excise 30.85 €/MWh;
// CTA 15 %; VAT 20 % on everything (2026).
const reference = {
  networkTariff: [
    { from: "2020-01-01", tariffFormula: "BTINFCUST" as const, version: "TEST-KVA", managementPerYear: "16.80", meteringPerYear: "22.00", withdrawalPerKvaPerYear: "11.07", energyPerKwh: { BASE: "0.04" } },
  ],
  excise: [{ from: "2020-01-01", eurPerMwh: "30.85" }],
  cta: [{ from: "2020-01-01", ratePct: "15" }],
};
const offer = {
  id: "O1", name: "Test offer", capacity: "included" as const,
  subscription: [
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" },
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 9, monthlyHt: "10.00" },
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 12, monthlyHt: "12.00" },
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 15, monthlyHt: "14.00" },
  ],
  energy: [{ from: "2020-01-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" }],
};
// 4.23 TTC / 1.20 = 3.525 → 3.53 HT (half-up).
const fee = { item: "powerChangeRemote", amountHt: "3.53", source: "test catalogue 4.23 TTC" };

const powerCase = (asOf: string, last: string, events: unknown[], kva = 6) =>
  exampleCase({
    asOf,
    contract: { start: "2025-01-01", billingDay: 1, subscribedKva: kva },
    offer,
    reference,
    reads: [teleRead("2026-03-01", { BASE: "4700" }), teleRead("2026-04-01", { BASE: "5000" }), teleRead("2026-05-01", { BASE: "5300" }), teleRead("2026-06-01", { BASE: "5600" })],
    events: events as never,
    billing: { lastBillingDate: last, lastIssueDate: last },
  });

describe("R8 audit (r9b) — power change 6 → 9 kVA on 2026-04-10, monthly contract", () => {
  it("R8 known in advance: the April invoice bills [04-01, 04-10) at 6 kVA and [04-10, 05-01) at 9 kVA, each with its CTA", () => {
    // 6 kVA: (96 + 105.22) × 9/360 = 5.0305 → 5.03; CTA 105.22 × 9 × 15 / 36000 = 0.394575 → 0.39
    // 9 kVA: (120 + 138.43) × 21/360 = 15.075083 → 15.08; CTA 138.43 × 21 × 15 / 36000 = 1.2112625 → 1.21
    const [inv] = ok(dueInvoices(powerCase("2026-04-01", "2026-03-01", [{ type: "powerChange", date: "2026-04-10", subscribedKva: 9, receivedOn: "2026-03-20", fee }]))).invoices;
    const sub = inv!.lines.filter((l) => l.kind === "subscription" || l.kind === "cta").map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount]);
    expect(sub).toEqual([
      ["subscription", "2026-04-01..2026-04-10", "5.03"],
      ["cta", "2026-04-01..2026-04-10", "0.39"],
      ["subscription", "2026-04-10..2026-05-01", "15.08"],
      ["cta", "2026-04-10..2026-05-01", "1.21"],
    ]);
    // The fee goes on the invoice billing the change date's energy (May's), not here.
    expect(inv!.lines.filter((l) => l.kind === "distributorService")).toHaveLength(0);
  });

  it("R8 learned after April was billed in advance: May's invoice credits [04-10, 05-01) at 6 kVA, re-bills it at 9 kVA, bills the fee 3.53 — TTC 111.35", () => {
    // May at 9 kVA: 21.535833 → 21.54, CTA 11.535833 × 15 % = 1.730375 → 1.73
    // credit 6 kVA [04-10, 05-01): 201.22 × 21/360 = 11.737833 → −11.74; CTA 0.920675 → −0.92
    // re-bill 9 kVA: 15.08, 1.21; energy 300 kWh × 0.1770 = 53.10; excise 300 × 0.03085 = 9.255 → 9.26 (one line or split)
    // HT 92.79, VAT 18.558 → 18.56, TTC 111.35
    const [inv] = ok(dueInvoices(powerCase("2026-05-01", "2026-04-01", [{ type: "powerChange", date: "2026-04-10", subscribedKva: 9, receivedOn: "2026-04-05", fee }]))).invoices;
    const ls = lines(inv!);
    expect(ls.filter(([k]) => k === "subscription" || k === "cta")).toEqual([
      ["subscription", "2026-05-01..2026-06-01", "21.54"],
      ["cta", "2026-05-01..2026-06-01", "1.73"],
      ["subscription", "2026-04-10..2026-05-01", "-11.74"],
      ["cta", "2026-04-10..2026-05-01", "-0.92"],
      ["subscription", "2026-04-10..2026-05-01", "15.08"],
      ["cta", "2026-04-10..2026-05-01", "1.21"],
    ]);
    const sumOf = (k: string) => inv!.lines.filter((l) => l.kind === k).reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0);
    expect(sumOf("energy")).toBe(5310);
    expect(sumOf("excise")).toBe(926);
    expect(inv!.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.vatRate, l.periodStart])).toEqual([["3.53", "20", "2026-04-10"]]);
    expect(totals(inv!)).toEqual(["92.79", "18.56", "111.35"]);
  });

  it("R9/R8 the fee at its catalogue price: 4.23 TTC → 3.525 → 3.53 HT; 4.21 TTC → 3.508 → 3.51; an HT price as is", () => {
    expect(catalogueFeeHt("4.23", "TTC", "20").amountHt).toBe("3.53");
    expect(catalogueFeeHt("4.21", "TTC", "20").amountHt).toBe("3.51");
    expect(catalogueFeeHt("3.50", "HT", "20").amountHt).toBe("3.50");
  });
});

describe("R8 audit (r9b) — annual character of the subscribed power", () => {
  // Contract at 9 kVA, decreased to 6 on `down`, increased back to 9 on 2026-04-10.
  const reversal = (down: string, annualChargeHt?: string) =>
    powerCase("2026-05-01", "2026-04-01", [
      { type: "powerChange", date: down, subscribedKva: 6, receivedOn: "2025-01-02" },
      { type: "powerChange", date: "2026-04-10", subscribedKva: 9, receivedOn: "2026-03-20", fee, ...(annualChargeHt ? { annualChargeHt } : {}) },
    ], 9);
  const services = (inv: Invoice) => inv.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.inputs["item"]]);

  it("R8 an increase 364 days after a decrease (2025-04-11 → 2026-04-10): fee 3.53 and the distributor's charge 12.40, no markup", () => {
    const [inv] = ok(dueInvoices(reversal("2025-04-11", "12.40"))).invoices;
    expect(services(inv!)).toEqual([["3.53", "powerChangeRemote"], ["12.40", "powerAnnualCharacter"]]);
    expect(dueInvoices(reversal("2025-04-11"))).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
  });

  it("R8 exactly one year later (2025-04-10 → 2026-04-10): no annual-character charge, only the fee", () => {
    const [inv] = ok(dueInvoices(reversal("2025-04-10"))).invoices;
    expect(services(inv!)).toEqual([["3.53", "powerChangeRemote"]]);
  });

  it("R8 the reverse: a decrease less than a year after an increase is a reversal; same direction twice is not", () => {
    const c = (first: number) =>
      powerCase("2026-05-01", "2026-04-01", [
        { type: "powerChange", date: "2025-10-01", subscribedKva: first, receivedOn: "2025-09-01" },
      ], 6);
    expect(reversedChange(c(9), { date: "2026-04-10", subscribedKva: 6 })?.date).toBe("2025-10-01");
    expect(reversedChange(c(9), { date: "2026-04-10", subscribedKva: 12 })).toBeNull();
    expect(reversedChange(c(9), { date: "2026-10-01", subscribedKva: 6 })).toBeNull();
    expect(reversedChange(c(9), { date: "2026-09-30", subscribedKva: 6 })?.date).toBe("2025-10-01");
  });

  // 9 → 6 on 2025-06-01, 6 → 12 on 2025-10-01, 12 → 15 on 2026-04-10 (billed on the invoice of 2026-05-01).
  const twoIncreases = (annualChargeHt?: string) =>
    powerCase("2026-05-01", "2026-04-01", [
      { type: "powerChange", date: "2025-06-01", subscribedKva: 6, receivedOn: "2025-05-02" },
      { type: "powerChange", date: "2025-10-01", subscribedKva: 12, receivedOn: "2025-09-02", annualChargeHt: "20.00" },
      { type: "powerChange", date: "2026-04-10", subscribedKva: 15, receivedOn: "2026-03-20", fee, ...(annualChargeHt ? { annualChargeHt } : {}) },
    ], 9);

  it("R8 (engine 0.3.4, annualCharacterAnyOpposite) a second increase less than a year after the decrease bears the charge too: « une augmentation … moins d'un an après avoir bénéficié d'une diminution »", () => {
    // 2026-04-10 is less than a year after the decrease of 2025-06-01 (one year earlier: 2025-04-10).
    expect(reversedChange(twoIncreases(), { date: "2026-04-10", subscribedKva: 15 })?.date).toBe("2025-06-01");
    expect(dueInvoices(twoIncreases())).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
    const [inv] = ok(dueInvoices(twoIncreases("15.60"))).invoices;
    expect(services(inv!)).toEqual([["3.53", "powerChangeRemote"], ["15.60", "powerAnnualCharacter"]]);
    expect(inv!.lines.find((l) => l.inputs["item"] === "powerAnnualCharacter")!.inputs["reverses"]).toBe("2025-06-01");
    // The decrease is more than a year before: no charge (2025-06-01 → 2026-06-01 is exactly one year).
    expect(reversedChange(twoIncreases(), { date: "2026-06-01", subscribedKva: 15 })).toBeNull();
  });

  it("R8 engine 0.3.3: only the change just before counted — the second increase bore no charge (replayed as issued)", () => {
    expect(reversedChange(twoIncreases(), { date: "2026-04-10", subscribedKva: 15 }, false)).toBeNull();
    const [inv] = ok(dueInvoices(twoIncreases(), { engineVersion: "0.3.3" })).invoices;
    expect(services(inv!)).toEqual([["3.53", "powerChangeRemote"]]);
  });
});

describe("R9 audit (r9b) — distributor services re-billed at the catalogue price", () => {
  const catalogue: Catalogue = {
    entries: [
      { key: "specialRead", from: "2024-08-01", to: "2026-08-01", price: "28.00", unit: "EUR", taxBasis: "HT" },
      { key: "specialRead", from: "2026-08-01", price: "29.10", unit: "EUR", taxBasis: "HT" },
      { key: "activationExistingSameDay", from: "2024-08-01", price: "146.84", unit: "EUR", taxBasis: "TTC" },
      { key: "wastedTrip", from: "2024-08-01", price: "34.83", unit: "EUR", taxBasis: "TTC" }, // 29.025 HT → 29.03
    ],
    gaps: [{ key: "restorationStandard", from: "2019-01-01", reason: "not found" }],
  };
  const vat = [{ from: "2019-01-01", normalPct: "20" }];
  const decided = (kind: "activation" | "restoration", option: "standard" | "sameDay", date: string, time = "10:00:00") => {
    const d = decideService({ kind, option, requestedAt: { date, time }, communicatingMeter: false });
    if (!d.ok) throw new Error(d.reason);
    return d;
  };

  it("R9 same-day activation 146.84 TTC → 122.366… → 122.37 HT at 20 %, billed even with the customer absent; abandoned → nothing", () => {
    const d = decided("activation", "sameDay", "2026-03-10");
    expect(d.catalogueKey).toBe("activationExistingSameDay");
    const r = serviceRebilling({ reference: "A-1", decision: d, status: "customerAbsent", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat);
    expect(r).toMatchObject({ outcome: "charge", charge: { kind: "distributorService", amount: "122.37", vatRate: "20", periodStart: "2026-03-10" } });
    expect(serviceRebilling({ reference: "A-2", decision: d, status: "abandoned", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat).outcome).toBe("none");
  });

  it("R9 the price in force on the service date: special read 28.00 HT on 2026-07-31, 29.10 HT on 2026-08-01", () => {
    const entryOn = (date: string) => catalogue.entries.find((e) => e.key === "specialRead" && e.from <= date && (e.to === undefined || date < e.to))!;
    expect(servicePriceHt(entryOn("2026-07-31"), vat, "2026-07-31")).toMatchObject({ ok: true, amountHt: "28.00", vatPct: "20" });
    expect(servicePriceHt(entryOn("2026-08-01"), vat, "2026-08-01")).toMatchObject({ ok: true, amountHt: "29.10", vatPct: "20" });
  });

  it("R9 a TTC price whose HT has a half cent: 34.83 / 1.2 = 29.025 → 29.03; a service before 2025-08-01 still takes the normal 20 %", () => {
    const w = catalogue.entries.find((e) => e.key === "wastedTrip")!;
    expect(servicePriceHt(w, vat, "2026-03-10")).toMatchObject({ ok: true, amountHt: "29.03", vatPct: "20" });
    expect(servicePriceHt(w, vat, "2025-03-10")).toMatchObject({ ok: true, amountHt: "29.03", vatPct: "20" });
  });

  it("R9 a gap in the catalogue fails loudly with its reason, never a guessed price", () => {
    const r = serviceRebilling({ reference: "R-1", decision: decided("restoration", "standard", "2026-03-10"), status: "completed", performedOn: "2026-03-10", noVisitFee: false }, catalogue, vat);
    expect(r.outcome).toBe("failed");
  });

  it("R9 on the next invoice: special read 28.00 + wasted trip 29.03 join the 20 % group of May's invoice — once", () => {
    // May 2026 invoice at 6 kVA, no change: subscription 8.00 + 105.22/12 = 16.768333 → 16.77, CTA 8.768333 × 15 % = 1.31525 → 1.32,
    // energy 300 × 0.1770 = 53.10, excise 9.255 → 9.26; services 28.00 + 29.03.
    // HT 16.77 + 1.32 + 53.10 + 9.26 + 57.03 = 137.48; VAT 27.496 → 27.50; TTC 164.98.
    const charges = [
      { id: "ch-1", kind: "distributorService" as const, amount: "28.00", vatRate: "20", periodStart: "2026-04-20", periodEnd: "2026-04-21", rule: "R9", inputs: {}, explanation: "special read" },
      { id: "ch-2", kind: "distributorService" as const, amount: "29.03", vatRate: "20", periodStart: "2026-04-22", periodEnd: "2026-04-23", rule: "R9", inputs: {}, explanation: "wasted trip" },
    ];
    const c = powerCase("2026-06-01", "2026-04-01", []);
    const withCharges = { ...c, billing: { ...c.billing, pendingCharges: charges } };
    const out = ok(dueInvoices(withCharges as never));
    expect(out.invoices).toHaveLength(2);
    const [may, june] = out.invoices;
    expect(may!.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.vatRate])).toEqual([["28.00", "20"], ["29.03", "20"]]);
    expect(june!.lines.filter((l) => l.kind === "distributorService")).toHaveLength(0);
    expect(totals(may!)).toEqual(["137.48", "27.50", "164.98"]);
  });
});

describe("R4 audit (r9b) — small credits carried forward, ≥ 25.00 refunded", () => {
  it("R4 25.00 refunded by issue + 15; 24.99 carried; 24.99 refunded 15 days after a request; 3.00 at termination refunded", () => {
    expect(refundDecision("25.00", "2026-03-10", false)).toMatchObject({ kind: "refund", amountTtc: "25.00", dueDate: "2026-03-25" });
    expect(refundDecision("24.99", "2026-03-10", false)).toMatchObject({ kind: "carriedForward", amountTtc: "24.99", dueDate: null });
    expect(refundDueOnRequest("2026-03-20")).toBe("2026-04-04");
    expect(refundDecision("3.00", "2026-03-10", true)).toMatchObject({ kind: "refund", dueDate: "2026-03-25" });
  });

  it("R4 a carried credit of 12.40 settles the next invoice of 64.20: 51.80 left to pay", () => {
    const entries: LedgerEntry[] = [
      { kind: "invoice", ref: "invoice:FA-1", date: "2026-03-01", dueDate: "2026-03-16", amount: "50.00", label: "March" },
      { kind: "payment", ref: "payment:P-1", date: "2026-03-10", amount: "-62.40", label: "paid" },
      { kind: "invoice", ref: "invoice:FA-2", date: "2026-04-01", dueDate: "2026-04-16", amount: "64.20", label: "April" },
    ];
    const a = allocate(entries, "2026-04-01");
    const april = a.items.find((i) => i.entry.ref === "invoice:FA-2")!;
    expect(april.open).toBe("51.80");
  });
});
