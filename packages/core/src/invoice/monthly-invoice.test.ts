import { describe, expect, it } from "vitest";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { dueInvoices, monthlyInvoice } from "./monthly-invoice.ts";
import type { Invoice } from "./document.ts";

/** [kind, period, amount] triples, the shape RULES.md prints its worked examples in. */
const summary = (inv: Invoice) => inv.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);

// Example A's contract: 6 kVA BASE, subscription 12.50 of which TURPE fixed 4.50 (supply 8.00),
// kWh 0.1770 until 2025-07-31 then 0.1790 (supply 0.1370 / 0.1390 + network 0.04).
const exampleAContract = {
  offer: {
    id: "O1",
    name: "Example A",
    capacity: "included" as const,
    subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
    energy: [
      { from: "2020-01-01", to: "2025-08-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
      { from: "2025-08-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1390" },
    ],
  },
  reads: [teleRead("2025-06-15", { BASE: "720" }), teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })],
};

const exampleAReference = {
  excise: [
    { from: "2020-01-01", to: "2025-08-01", eurPerMwh: "33.70" },
    { from: "2025-08-01", eurPerMwh: "29.98" },
  ],
};

describe("R1 monthly invoice — worked examples of RULES.md", () => {
  it("R1 example A: invoice of 2025-08-15 splits at the month and at the 08-01 price change, TTC 94.51", () => {
    const c = exampleCase({ ...exampleAContract, reference: exampleAReference, asOf: "2025-08-15", billing: { lastBillingDate: "2025-07-15" } });
    const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");
    expect(summary(inv)).toEqual([
      ["subscription", "2025-08-15..2025-09-01", "6.85", "20"],
      ["cta", "2025-08-15..2025-09-01", "0.54", "20"],
      ["subscription", "2025-09-01..2025-09-15", "5.83", "20"],
      ["cta", "2025-09-01..2025-09-15", "0.46", "20"],
      ["energy", "2025-07-15..2025-08-01", "30.09", "20"],
      ["excise", "2025-07-15..2025-08-01", "5.73", "20"],
      ["energy", "2025-08-01..2025-08-15", "25.06", "20"],
      ["excise", "2025-08-01..2025-08-15", "4.20", "20"],
    ]);
    expect(inv.lines[4]!.quantity).toBe("170");
    expect(inv.lines[6]!.quantity).toBe("140");
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["78.76", "15.75", "94.51"]);
    expect(inv.vat).toEqual([{ rate: "20", base: "78.76", amount: "15.75" }]);
    expect(inv.dueDate).toBe("2025-08-30");
  });

  it("R1 example A2: invoice of 2025-07-15 puts subscription and CTA at 5.5 % until 07-31, TTC 85.92", () => {
    const c = exampleCase({ ...exampleAContract, reference: exampleAReference, asOf: "2025-07-15", billing: { lastBillingDate: "2025-06-15" } });
    const inv = monthlyInvoice(c, "2025-07-15", "2025-07-15");
    expect(summary(inv)).toEqual([
      ["subscription", "2025-07-15..2025-08-01", "6.85", "5.5"],
      ["cta", "2025-07-15..2025-08-01", "0.54", "5.5"],
      ["subscription", "2025-08-01..2025-08-15", "5.65", "20"],
      ["cta", "2025-08-01..2025-08-15", "0.45", "20"],
      ["energy", "2025-06-15..2025-07-15", "49.56", "20"],
      ["excise", "2025-06-15..2025-07-15", "9.44", "20"],
    ]);
    expect(inv.vat).toEqual([
      { rate: "5.5", base: "7.39", amount: "0.41" },
      { rate: "20", base: "65.10", amount: "13.02" },
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["72.49", "13.43", "85.92"]);
  });

  it("R1 example A3: 9 kVA HP/HC, March subscription and February energy, TTC 206.72", () => {
    const c = exampleCase({
      asOf: "2026-03-01",
      contract: { start: "2026-01-01", billingDay: 1, subscribedKva: 9, priceOption: "HPHC", tariffFormula: "BTINFMUDT" },
      offer: {
        id: "O3",
        name: "Example A3",
        capacity: "included",
        subscription: [{ from: "2026-01-01", priceOption: "HPHC", kva: 9, monthlyHt: "11.10" }],
        energy: [
          { from: "2026-01-01", priceOption: "HPHC", register: "HP", priceHt: "0.1510" },
          { from: "2026-01-01", priceOption: "HPHC", register: "HC", priceHt: "0.1160" },
        ],
      },
      reference: {
        networkTariff: [
          {
            from: "2025-08-01",
            tariffFormula: "BTINFMUDT",
            version: "TEST",
            managementPerYear: "61.20",
            meteringPerYear: "0",
            withdrawalPerKvaPerYear: "0",
            energyPerKwh: { HP: "0.05", HC: "0.04" },
          },
        ],
        excise: [{ from: "2026-02-01", eurPerMwh: "30.85" }],
        cta: [
          { from: "2021-08-01", to: "2026-02-01", ratePct: "21.93" },
          { from: "2026-02-01", ratePct: "15" },
        ],
        vat: [{ from: "2025-08-01", subscriptionPct: "20", ctaPct: "20", energyPct: "20", excisePct: "20" }],
      },
      reads: [teleRead("2026-02-01", { HP: "5000", HC: "3000" }), teleRead("2026-03-01", { HP: "5420", HC: "3310" })],
      billing: { lastBillingDate: "2026-02-01" },
    });
    const inv = monthlyInvoice(c, "2026-03-01", "2026-03-01");
    expect(inv.lines.map((l) => [l.kind, l.register, l.amount])).toEqual([
      ["subscription", null, "16.20"],
      ["cta", null, "0.77"],
      ["energy", "HP", "84.42"],
      ["excise", "HP", "12.96"],
      ["energy", "HC", "48.36"],
      ["excise", "HC", "9.56"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["172.27", "34.45", "206.72"]);
  });
});

describe("R1 monthly invoice — hand-checked cases", () => {
  it("R1 a contract starting mid-month is first billed on its start date: subscription in advance only, prorated per month", () => {
    // 12.50 × 22/31 = 8.8709… → 8.87; CTA 4.50 × 22/31 × 21.93 % = 0.7003… → 0.70;
    // 12.50 × 9/30 = 3.75; CTA 4.50 × 9/30 × 21.93 % = 0.2960… → 0.30; VAT 5.5 % × 13.62 = 0.7491 → 0.75.
    const c = exampleCase({ asOf: "2025-03-10", contract: { start: "2025-03-10", billingDay: 10 }, reads: [teleRead("2025-03-10", { BASE: "0" })] });
    const out = dueInvoices(c);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.invoices).toHaveLength(1);
    const inv = out.invoices[0]!;
    expect(inv.energyPeriod).toBeNull();
    expect(summary(inv)).toEqual([
      ["subscription", "2025-03-10..2025-04-01", "8.87", "5.5"],
      ["cta", "2025-03-10..2025-04-01", "0.70", "5.5"],
      ["subscription", "2025-04-01..2025-04-10", "3.75", "5.5"],
      ["cta", "2025-04-01..2025-04-10", "0.30", "5.5"],
    ]);
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["13.62", "0.75", "14.37"]);
    expect(out.nextBillingDate).toBe("2025-04-10");
  });

  const priceChange = {
    asOf: "2025-02-15",
    billing: { lastBillingDate: "2025-01-15" },
    offer: {
      id: "O1",
      name: "Price change on 1 February",
      capacity: "included" as const,
      subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
      energy: [
        { from: "2020-01-01", to: "2025-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1100" },
        { from: "2025-02-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1200" },
      ],
    },
    reference: {
      excise: [
        { from: "2024-02-01", to: "2025-02-01", eurPerMwh: "21" },
        { from: "2025-02-01", eurPerMwh: "33.70" },
      ],
    },
  };

  it("R1 a price change inside the energy period without a read that day spreads the kWh by days", () => {
    // 400 kWh over 31 days: 400 × 17/31 = 219.354… before, 180.645… after.
    // 219.354… × 0.15 = 32.903… → 32.90; × 0.021 = 4.606… → 4.61
    // 180.645… × 0.16 = 28.903… → 28.90; × 0.0337 = 6.087… → 6.09
    const c = exampleCase({ ...priceChange, reads: [teleRead("2025-01-15", { BASE: "1000" }), teleRead("2025-02-15", { BASE: "1400" })] });
    const energy = monthlyInvoice(c, "2025-02-15", "2025-02-15").lines.filter((l) => l.kind === "energy" || l.kind === "excise");
    expect(energy.map((l) => [l.kind, l.periodStart, l.amount])).toEqual([
      ["energy", "2025-01-15", "32.90"],
      ["excise", "2025-01-15", "4.61"],
      ["energy", "2025-02-01", "28.90"],
      ["excise", "2025-02-01", "6.09"],
    ]);
    expect(energy[0]!.quantity).toBe("219.354838709677");
  });

  it("R1 a read on the price-change date splits the consumption exactly there (and 5.055 rounds half-up to 5.06)", () => {
    // 250 kWh before: 250 × 0.15 = 37.50, × 0.021 = 5.25; 150 kWh after: × 0.16 = 24.00, × 0.0337 = 5.055 → 5.06.
    const c = exampleCase({
      ...priceChange,
      reads: [teleRead("2025-01-15", { BASE: "1000" }), { date: "2025-02-01", source: "distributorActual", registers: { BASE: "1250" } }, teleRead("2025-02-15", { BASE: "1400" })],
    });
    const energy = monthlyInvoice(c, "2025-02-15", "2025-02-15").lines.filter((l) => l.kind === "energy" || l.kind === "excise");
    expect(energy.map((l) => [l.kind, l.quantity, l.amount])).toEqual([
      ["energy", "250", "37.50"],
      ["excise", "250", "5.25"],
      ["energy", "150", "24.00"],
      ["excise", "150", "5.06"],
    ]);
  });

  it("R1 a VAT regime change that leaves energy at 20 % does not split the energy line", () => {
    const c = exampleCase({
      asOf: "2025-08-15",
      billing: { lastBillingDate: "2025-07-15" },
      reads: [teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-15", { BASE: "1310" })],
    });
    const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");
    expect(inv.lines.filter((l) => l.kind === "energy").map((l) => [l.periodStart, l.periodEnd, l.quantity, l.amount])).toEqual([
      ["2025-07-15", "2025-08-15", "310", "54.87"],
    ]);
  });

  it("R1 every line names its rule and carries its inputs", () => {
    const c = exampleCase({ ...exampleAContract, reference: exampleAReference, asOf: "2025-08-15", billing: { lastBillingDate: "2025-07-15" } });
    const inv = monthlyInvoice(c, "2025-08-15", "2025-08-15");
    for (const l of inv.lines) {
      expect(l.rule).toMatch(/^R1/);
      expect(l.explanation.length).toBeGreaterThan(20);
    }
    expect(inv.lines[0]!.inputs).toMatchObject({ days: "17", daysInMonth: "31", monthlyHt: "12.5", supplyMonthlyHt: "8", networkMonthlyHt: "4.5" });
    expect(inv.lines[0]!.explanation).toBe(
      "Subscription 6 kVA BASE 2025-08-15..2025-09-01: 12.50 €/month × 17/31 = 6.85 € HT (supply 8.00 + network 4.50 €/month)",
    );
  });
});

describe("R1 monthly invoice — data gaps fail loudly, naming what is missing", () => {
  it("no offer price for the period", () => {
    const c = exampleCase({ asOf: "2025-02-15", billing: { lastBillingDate: "2025-01-15" }, offer: { id: "O1", name: "x", capacity: "included", subscription: [], energy: [] }, reads: [teleRead("2025-01-15", { BASE: "1" }), teleRead("2025-02-15", { BASE: "2" })] });
    const out = dueInvoices(c);
    expect(out).toMatchObject({ ok: false, billingDate: "2025-02-15", failure: { code: "MISSING_PRICE" } });
    if (!out.ok) expect(out.failure.message).toBe("offer O1 has no subscription price for BASE 6 kVA on 2025-02-15");
  });

  it("an index going backwards", () => {
    const c = exampleCase({ asOf: "2025-02-15", billing: { lastBillingDate: "2025-01-15" }, reads: [teleRead("2025-01-15", { BASE: "1000" }), teleRead("2025-02-15", { BASE: "900" })] });
    const out = dueInvoices(c);
    expect(out).toMatchObject({ ok: false, failure: { code: "INDEX_BACKWARDS" } });
    if (!out.ok) expect(out.failure.message).toBe("index of register BASE goes backwards: 900 on 2025-02-15 after 1000 on 2025-01-15");
  });

  it("R2 no index at the end of the energy period and no estimate: every source says why", () => {
    const c = exampleCase({ asOf: "2025-02-15", billing: { lastBillingDate: "2025-01-15" }, reads: [teleRead("2025-01-15", { BASE: "1000" })] });
    expect(dueInvoices(c)).toMatchObject({
      ok: false,
      failure: {
        code: "NO_ESTIMATE",
        message:
          "no consumption up to 2025-02-15 (R2): teleRead: no tele-read of 2025-02-15 received; distributorActual: no distributor index on 2025-02-15; " +
          "selfRead: no self-read received for 2025-02-10..2025-02-15; connectedStation: no connected-station data for 2025-01-15..2025-02-15; " +
          "history: no distributor index of register BASE on or before 2024-01-15 (comparable period 2024-01-15..2024-02-15); " +
          "peerAverage: no peer average for register BASE in 2025-01",
      },
    });
  });

  it("no TURPE for the tariff formula", () => {
    const c = exampleCase({ asOf: "2025-01-15", contract: { tariffFormula: "BTINFLU" }, reads: [teleRead("2025-01-15", { BASE: "1" })] });
    expect(dueInvoices(c)).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE", message: "no network tariff (TURPE) for BTINFLU on 2025-01-15 (R6)" } });
  });
});
