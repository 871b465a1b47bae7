import { describe, expect, it } from "vitest";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueSmoothedDocuments } from "../smoothed/smoothed-billing.ts";
import { baseCaseInput, exampleCase, teleRead } from "../testing/example-case.ts";
import { formulaFollowingOption, priceOptionAt, tariffFormulaAt } from "../pricing/price-option.ts";
import { reversedOptionChange } from "./option-change.ts";

// The example contract: 6 kVA BASE on BTINFCUST, billed on the 15th, subscription 8.00 supply + 4.50
// network = 12.50 €/month HT, kWh 0.1370 + 0.04 = 0.1770; CTA 21.93 % of the network fixed part; excise
// 33.70 €/MWh; VAT 20 % on everything (2026). The HP/HC option: supply 9.00 €/month, HP 0.1500, HC 0.1100;
// on BTINFMUDT a fixed part of 66 €/year = 5.50 €/month, HP 0.05, HC 0.03 €/kWh — so 14.50 €/month,
// HP 0.20, HC 0.14 €/kWh.
const lines = (i: Invoice) => i.lines.map((l) => [l.kind, l.register, `${l.periodStart}..${l.periodEnd}`, l.amount]);
const totals = (i: Invoice) => [i.totalHt, i.totalVat, i.totalTtc];
const ok = (out: ReturnType<typeof dueInvoices>) => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out;
};

const base = baseCaseInput();
const offer = {
  ...base.offer,
  subscription: [...base.offer.subscription, { from: "2020-01-01", priceOption: "HPHC" as const, kva: 6, monthlyHt: "9.00" }],
  energy: [
    ...base.offer.energy,
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HP" as const, priceHt: "0.1500" },
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HC" as const, priceHt: "0.1100" },
  ],
};
const reference = {
  ...base.reference,
  networkTariff: [
    ...base.reference.networkTariff,
    { from: "2020-01-01", tariffFormula: "BTINFMUDT" as const, version: "TEST", managementPerYear: "66", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
  ],
};
const fee = { item: "optionChangeRemote", amountHt: "2.50", source: "test catalogue" };
const change = { type: "optionChange", date: "2026-02-01", priceOption: "HPHC", tariffFormula: "BTINFMUDT", receivedOn: "2026-01-20", requestedBy: "customer", fee };
// The distributor's tele-read of the change date: the BASE register's last index and the new HP/HC registers' first.
const READS = [
  teleRead("2026-01-15", { BASE: "5000" }),
  teleRead("2026-02-01", { BASE: "5170", HP: "1000", HC: "2000" }),
  teleRead("2026-02-15", { HP: "1100", HC: "2060" }),
  teleRead("2026-03-15", { HP: "1300", HC: "2200" }),
];
const changed = (asOf: string, events: unknown[] = [change], reads = READS, contract: Record<string, unknown> = {}) =>
  exampleCase({
    asOf,
    contract: { start: "2025-01-15", ...contract },
    offer,
    reference,
    reads,
    events: events as never,
    billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
  });

describe("R8 · CGV 4 a price option change BASE → HPHC mid-period (R1 split)", () => {
  it("R8 the option and the tariff formula follow the event from its date", () => {
    const c = changed("2026-02-15");
    expect([priceOptionAt(c, "2026-01-31"), tariffFormulaAt(c, "2026-01-31")]).toEqual(["BASE", "BTINFCUST"]);
    expect([priceOptionAt(c, "2026-02-01"), tariffFormulaAt(c, "2026-02-01")]).toEqual(["HPHC", "BTINFMUDT"]);
    expect([formulaFollowingOption("BTINFCUST", "HPHC"), formulaFollowingOption("BTINFMUDT", "BASE"), formulaFollowingOption("BTINFCU4", "HPHC")]).toEqual(["BTINFMUDT", "BTINFCUST", "BTINFCU4"]);
  });

  it("R8 · R1 the invoice of 02-15 splits the energy at the change date on the old and new registers, re-prices the subscription billed in advance and re-bills the fee: HT 88.16, VAT 17.63, TTC 105.79", () => {
    // Subscription [02-15, 03-15) on HPHC 14.50 €/month: [02-15, 03-01) 14.50 × 14/28 = 7.25, CTA 5.50 × 14/28 × 21.93 % = 0.603075 → 0.60;
    //   [03-01, 03-15) 14.50 × 14/31 = 6.548387 → 6.55, CTA 5.50 × 14/31 × 21.93 % = 0.544713 → 0.54.
    // The invoice of 01-15 billed [02-01, 02-15) at BASE without knowing the change (received 01-20):
    //   credit 12.50 × 14/28 = −6.25, CTA 4.50 × 14/28 × 21.93 % = 0.493425 → −0.49; re-bill at HPHC 7.25, CTA 0.60.
    // Energy [01-15, 02-01) BASE: 5170 − 5000 = 170 kWh × 0.1770 = 30.09, excise 170 × 0.0337 = 5.729 → 5.73;
    //   [02-01, 02-15) HP: 1100 − 1000 = 100 kWh × 0.20 = 20.00, excise 3.37; HC: 2060 − 2000 = 60 kWh × 0.14 = 8.40,
    //   excise 60 × 0.0337 = 2.022 → 2.02. Distributor's fee 2.50.
    // HT 7.25 + 0.60 + 6.55 + 0.54 − 6.25 − 0.49 + 7.25 + 0.60 + 30.09 + 5.73 + 20.00 + 3.37 + 8.40 + 2.02 + 2.50 = 88.16;
    // VAT 20 % 17.632 → 17.63; TTC 105.79.
    const [inv] = ok(dueInvoices(changed("2026-02-15"))).invoices;
    expect(lines(inv!)).toEqual([
      ["subscription", null, "2026-02-15..2026-03-01", "7.25"],
      ["cta", null, "2026-02-15..2026-03-01", "0.60"],
      ["subscription", null, "2026-03-01..2026-03-15", "6.55"],
      ["cta", null, "2026-03-01..2026-03-15", "0.54"],
      ["subscription", null, "2026-02-01..2026-02-15", "-6.25"],
      ["cta", null, "2026-02-01..2026-02-15", "-0.49"],
      ["subscription", null, "2026-02-01..2026-02-15", "7.25"],
      ["cta", null, "2026-02-01..2026-02-15", "0.60"],
      ["energy", "BASE", "2026-01-15..2026-02-01", "30.09"],
      ["excise", "BASE", "2026-01-15..2026-02-01", "5.73"],
      ["energy", "HP", "2026-02-01..2026-02-15", "20.00"],
      ["excise", "HP", "2026-02-01..2026-02-15", "3.37"],
      ["energy", "HC", "2026-02-01..2026-02-15", "8.40"],
      ["excise", "HC", "2026-02-01..2026-02-15", "2.02"],
      ["distributorService", null, "2026-02-01..2026-02-02", "2.50"],
    ]);
    expect(totals(inv!)).toEqual(["88.16", "17.63", "105.79"]);
    // Each line names its rule and inputs: the option, the formula, the change date's indexes.
    expect(inv!.lines[0]!.inputs).toMatchObject({ priceOption: "HPHC", networkTariff: "BTINFMUDT TEST", networkMonthlyHt: "5.5", supplyMonthlyHt: "9" });
    expect(inv!.lines[4]!).toMatchObject({ rule: expect.stringMatching(/price option change date: billed days credited at the old option/), inputs: { priceOption: "BASE", adjustment: "credit" } });
    expect(inv!.lines[6]!.rule).toMatch(/the same days billed at the new option/);
    expect(inv!.lines[8]!.inputs).toMatchObject({ priceOption: "BASE", networkTariff: "BTINFCUST TEST", kwh: "170" });
    expect(inv!.lines[10]!.inputs).toMatchObject({ priceOption: "HPHC", networkTariff: "BTINFMUDT TEST", networkBand: "HP", kwh: "100", optionChange: expect.stringMatching(/^2026-02-01: BASE → HP\+HC/) });
    expect(inv!.lines.at(-1)).toMatchObject({ vatRate: "20", rule: expect.stringMatching(/^R8 · R9 · CGV 4 \(distributor's fee for a price option change/), inputs: { item: "optionChangeRemote", fromOption: "BASE", toOption: "HPHC" } });
    // The indexes printed: BASE to the change date, HP/HC from it, what the next invoice starts from.
    expect(inv!.indexes.map((i) => [i.register, i.date, i.index])).toEqual([
      ["BASE", "2026-01-15", "5000"], ["BASE", "2026-02-01", "5170"], ["HP", "2026-02-01", "1000"], ["HP", "2026-02-15", "1100"], ["HC", "2026-02-01", "2000"], ["HC", "2026-02-15", "2060"],
    ]);
    expect(inv!.consumption).toMatchObject({ source: "teleRead", estimated: false, rule: expect.stringMatching(/option change: the distributor's indexes of the change date/) });
    expect(inv!.consumption!.explanation).toMatch(/^BASE 2026-01-15..2026-02-01: Consumption up to 2026-02-01: tele-read of 2026-02-01 — then HPHC from 2026-02-01/);
  });

  it("R8 the next invoice is on HP/HC only, from the indexes the February invoice billed up to: HT 87.00", () => {
    // Subscription [03-15, 04-15): 14.50 × 17/31 = 7.951613 → 7.95, CTA 5.50 × 17/31 × 21.93 % = 0.661452 → 0.66;
    //   14.50 × 14/30 = 6.766667 → 6.77, CTA 5.50 × 14/30 × 21.93 % = 0.56287 → 0.56.
    // Energy [02-15, 03-15): HP 200 kWh × 0.20 = 40.00, excise 6.74; HC 140 kWh × 0.14 = 19.60, excise 4.718 → 4.72.
    // HT 7.95 + 0.66 + 6.77 + 0.56 + 40.00 + 6.74 + 19.60 + 4.72 = 87.00.
    const [, march] = ok(dueInvoices(changed("2026-03-15"))).invoices;
    expect(lines(march!)).toEqual([
      ["subscription", null, "2026-03-15..2026-04-01", "7.95"],
      ["cta", null, "2026-03-15..2026-04-01", "0.66"],
      ["subscription", null, "2026-04-01..2026-04-15", "6.77"],
      ["cta", null, "2026-04-01..2026-04-15", "0.56"],
      ["energy", "HP", "2026-02-15..2026-03-15", "40.00"],
      ["excise", "HP", "2026-02-15..2026-03-15", "6.74"],
      ["energy", "HC", "2026-02-15..2026-03-15", "19.60"],
      ["excise", "HC", "2026-02-15..2026-03-15", "4.72"],
    ]);
    expect(march!.totalHt).toBe("87.00");
    expect(march!.indexes.filter((i) => i.date === "2026-02-15").map((i) => [i.register, i.basis, i.index])).toEqual([["HP", "billed", "1100"], ["HC", "billed", "2060"]]);
  });

  it("R8 a change known before the last invoice needs no re-pricing: the subscription it billed was already split", () => {
    const [inv] = ok(dueInvoices(changed("2026-02-15", [{ ...change, receivedOn: "2026-01-10" }]))).invoices;
    expect(inv!.lines.filter((l) => l.inputs["adjustment"] !== undefined)).toHaveLength(0);
    expect(inv!.totalHt).toBe("87.05"); // 88.16 without the adjustment lines: − (−6.25 − 0.49 + 7.25 + 0.60) = 88.16 − 1.11
  });

  it("R8 without the distributor's indexes of the change date the invoice waits 7 days, then fails with the reason (no R2 estimate)", () => {
    const noChangeRead = READS.filter((r) => r.date !== "2026-02-01");
    const late = changed("2026-02-15", [change], noChangeRead);
    const out = dueInvoices(late);
    expect(out).toMatchObject({ ok: false, billingDate: "2026-02-15", failure: { code: "NO_INDEX" } });
    expect(out.ok ? "" : out.failure.message).toMatch(/option change of 2026-02-01 \(BASE → HPHC\): the distributor's indexes of that date are needed — old registers BASE and new registers HP, HC/);
    // A change on 02-12: on 02-15 the invoice still waits for them (until 02-19).
    const recent = { ...change, date: "2026-02-12" };
    expect(ok(dueInvoices(changed("2026-02-15", [recent], noChangeRead)))).toMatchObject({
      invoices: [], nextBillingDate: "2026-02-15",
      // Reported waiting, with why — not "nothing due".
      waiting: "the invoice of 2026-02-15 waits for the distributor's indexes of the price option change of 2026-02-12 (BASE → HPHC: old registers BASE, new HP, HC; R8 · CGV 4); not received by 2026-02-19, the night fails and asks for them",
    });
  });

  it("R8 · CGV 4 a return to BASE less than a year after passes the distributor's annual-character charge through when given", () => {
    // HPHC from 2025-06-01, back to BASE from 2026-02-01 (8 months later): the reads follow the options.
    const there = { ...change, date: "2025-06-01", receivedOn: "2025-05-20", fee: undefined };
    const back = { type: "optionChange", date: "2026-02-01", priceOption: "BASE", tariffFormula: "BTINFCUST", receivedOn: "2026-01-10", fee, annualChargeHt: "11.00" };
    const reads = [teleRead("2026-01-15", { HP: "800", HC: "900" }), teleRead("2026-02-01", { HP: "900", HC: "960", BASE: "7000" }), teleRead("2026-02-15", { BASE: "7100" })];
    const c = changed("2026-02-15", [there, back], reads);
    expect(reversedOptionChange(c, back)?.date).toBe("2025-06-01");
    const [inv] = ok(dueInvoices(c)).invoices;
    // Energy [01-15, 02-01) HP 100 kWh × 0.20 = 20.00, HC 60 × 0.14 = 8.40; [02-01, 02-15) BASE 100 × 0.1770 = 17.70.
    expect(lines(inv!).filter((l) => l[0] === "energy")).toEqual([
      ["energy", "HP", "2026-01-15..2026-02-01", "20.00"], ["energy", "HC", "2026-01-15..2026-02-01", "8.40"], ["energy", "BASE", "2026-02-01..2026-02-15", "17.70"],
    ]);
    expect(inv!.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.inputs["item"], l.inputs["reverses"]])).toEqual([["2.50", "optionChangeRemote", undefined], ["11.00", "optionAnnualCharacter", "2025-06-01"]]);
    // A year or more after: nothing reversed.
    expect(reversedOptionChange(c, { date: "2026-06-02", priceOption: "BASE" })).toBeNull();
  });

  it("R8 engine 0.3.0 did not bill a smoothed contract with an option change (billed from 0.3.1: smoothed/smoothed-changes.test.ts)", () => {
    const c = changed("2026-02-15", [change], READS, { billingMode: "smoothed" });
    expect(dueSmoothedDocuments(c, {}, { engineVersion: "0.3.0" })).toMatchObject({ ok: false, failure: { code: "UNSUPPORTED", message: expect.stringMatching(/price option change of 2026-02-01 on a smoothed contract: not supported yet/) } });
  });

  it("R8 a read of the change date may hold both options' registers; another day only the option's", () => {
    expect(() => changed("2026-02-15", [change], [...READS, teleRead("2026-02-10", { BASE: "5200" })])).toThrow(/is not a register of the price option in force on 2026-02-10 \(HP, HC\)/);
  });
});
