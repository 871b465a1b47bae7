/**
 * R2 3.1 — CGV 6.2: a self-read « rejected if incoherent with the customer's usual consumption or with the
 * last distributor index » (RULES.md: « below the last known distributor index »), checked against the
 * reads themselves (ruleset `selfReadCheckedOnReads`, engine 0.3.4+), through the billing run. Every figure
 * worked out by hand below; engine 0.3.3's documents replay as issued.
 *
 * 6 kVA BASE, not communicating, subscription 12.50 €/month (supply 8.00 + TURPE fixed 4.50), kWh 0.1770,
 * excise 33.70 €/MWh, CTA 21.93 %, everything at 20 % (2026). Peer average 10 kWh/day every month.
 * Subscription [03-15, 04-15): 12.50 × 17/31 = 6.854… → 6.85, CTA 4.50 × 17/31 × 21.93 % = 0.5412 → 0.54,
 * 12.50 × 14/30 = 5.833… → 5.83, CTA 4.50 × 14/30 × 21.93 % = 0.4605 → 0.46: 13.68 HT.
 */
import { describe, expect, it } from "vitest";
import type { CaseInput } from "../case/schema.ts";
import { exampleCase } from "../testing/example-case.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { trimCase } from "../case/trim.ts";

const dr = (date: string, BASE: string, receivedOn?: string) => ({ date, source: "distributorActual" as const, registers: { BASE }, ...(receivedOn ? { receivedOn } : {}) });
const sr = (date: string, BASE: string) => ({ date, source: "selfRead" as const, registers: { BASE } });
const peerAverages = ["2026-01", "2026-02", "2026-03"].map((month) => ({ month, register: "BASE" as const, kwhPerDay: "10", version: "2026-01-01" }));
const billedActual = (date: string, index: string): CaseInput["billing"] => ({
  lastBillingDate: date,
  lastIndexes: { BASE: { index, estimated: false, actualReadDate: date, source: "distributorActual" } },
});

function run(overrides: Parameters<typeof exampleCase>[0], engineVersion?: string): Invoice[] {
  const out = dueInvoices(exampleCase({ contract: { communicatingMeter: false }, estimation: { peerAverages }, ...overrides } as Parameters<typeof exampleCase>[0]), engineVersion ? { engineVersion } : {});
  if (!out.ok) throw new Error(`${out.billingDate}: ${out.failure.code} ${out.failure.message}`);
  return [...out.invoices];
}
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.quantity, l.amount]);
const totals = (inv: Invoice) => [inv.totalHt, inv.totalVat, inv.totalTtc];
const selfReadReason = (inv: Invoice) => inv.consumption!.notUsed.find((n) => n.source === "selfRead")?.reason;

describe("R2 audit — a self-read checked against the customer's previous self-read as read", () => {
  // Distributor 5000 on 01-15. Invoice of 02-15: self-read 5270 of 02-12 (270 kWh in 28 days), carried 3 days:
  // 5270 + 270 × 3/28 = 74185/14 = 5298.928571… billed. Invoice of 03-15: self-read 5290 of 03-15 — above the
  // customer's own 5270, below the carried 5298.93 (the supplier's estimate of 3 days).
  const c = { asOf: "2026-03-15", reads: [dr("2026-01-15", "5000"), sr("2026-02-12", "5270"), sr("2026-03-15", "5290")], billing: billedActual("2026-01-15", "5000") };

  it("R2 a self-read above the previous self-read (5290 > 5270) but below its carried estimate (5298.93) is used: −125/14 kWh credited, TTC 14.16", () => {
    const [feb, mar] = run(c);
    // February unchanged: 4185/14 kWh × 0.1770 = 52.9104 → 52.91; × 0.0337 = 10.0739 → 10.07; HT 12.84 + 62.98 = 75.82, TTC 90.98.
    expect(totals(feb!)).toEqual(["75.82", "15.16", "90.98"]);
    // March: 5290 − 74185/14 = −125/14 kWh; 290 kWh since 01-15 (59 d) ≤ 3 × 590 (peers): coherent.
    // energy −125/14 × 0.1770 = −1.5803… → −1.58; excise −125/14 × 0.0337 = −0.3008… → −0.30;
    // HT 13.68 − 1.58 − 0.30 = 11.80; VAT 20 % 2.36; TTC 14.16.
    expect(mar!.consumption!.source).toBe("selfRead");
    expect(energy(mar!)).toEqual([
      ["energy", "-8.928571428571", "-1.58"],
      ["excise", "-8.928571428571", "-0.30"],
    ]);
    expect(totals(mar!)).toEqual(["11.80", "2.36", "14.16"]);
  });

  it("R2 engine 0.3.3 rejected it as below « the previous self-read 5298.93 » (the carried estimate) and billed the peers' 280 kWh: TTC 87.22", () => {
    const [, mar] = run(c, "0.3.3");
    // 28 d × 10 = 280 kWh: 49.56 + 9.436 → 9.44; HT 13.68 + 59.00 = 72.68; VAT 14.536 → 14.54; TTC 87.22.
    expect(selfReadReason(mar!)).toBe("self-read BASE 5290 of 2026-03-15 is below the customer's previous self-read 5298.928571428571 billed on 2026-02-15");
    expect(mar!.consumption!.source).toBe("peerAverage");
    expect(totals(mar!)).toEqual(["72.68", "14.54", "87.22"]);
  });

  it("R2 the March invoice alone, from the index February billed (the store's case), and its trimmed input give the same figures", () => {
    // A distributor read of 02-14 (5285) received on 03-01 is the last read before the period (5290 is above it).
    const base = { ...c, reads: [...c.reads, dr("2026-02-14", "5285", "2026-03-01")], billing: { lastBillingDate: "2026-02-15", lastIndexes: { BASE: { index: "5298.928571428571", exact: "74185/14", estimated: true, actualReadDate: "2026-01-15", source: "selfRead" } } } };
    const whole = exampleCase({ contract: { communicatingMeter: false }, estimation: { peerAverages }, ...base } as Parameters<typeof exampleCase>[0]);
    const out = dueInvoices(whole);
    if (!out.ok) throw new Error(out.failure.message);
    expect(totals(out.invoices[0]!)).toEqual(["11.80", "2.36", "14.16"]);
    // The trimmed input keeps the self-read of 02-12 it was checked against (an estimated invoice keeps a year of reads).
    const again = dueInvoices(trimCase(whole, out.invoices));
    expect(again.ok && again.invoices).toEqual(out.invoices);
  });

  it("R2 a self-read below the previous self-read as read (5260 < 5270) is still rejected, naming that read", () => {
    const [, mar] = run({ ...c, reads: [dr("2026-01-15", "5000"), sr("2026-02-12", "5270"), sr("2026-03-15", "5260")] });
    expect(selfReadReason(mar!)).toBe("self-read BASE 5260 of 2026-03-15 is below the customer's previous self-read 5270 of 2026-02-12");
  });
});

describe("R2 audit — a self-read older than the last distributor index known", () => {
  // Billed up to 5000 (distributor, 02-15). Self-read 5200 of 03-11; the distributor read 5290 on 03-13
  // (received 03-14), no read after 03-15: no interpolation at 03-15 (priority 1 fails).
  const c = { asOf: "2026-03-15", reads: [dr("2026-02-15", "5000"), sr("2026-03-11", "5200"), dr("2026-03-13", "5290", "2026-03-14")], billing: billedActual("2026-02-15", "5000") };

  it("R2 the self-read 5200 of 03-11 is below the distributor's 5290 of 03-13: rejected; the peers grow from 5290 (2 d × 10 → 5310), TTC 94.80", () => {
    const [inv] = run(c);
    // 310 kWh: 310 × 0.1770 = 54.87; 310 × 0.0337 = 10.447 → 10.45; HT 13.68 + 65.32 = 79.00; VAT 15.80; TTC 94.80.
    expect(selfReadReason(inv!)).toBe("self-read BASE 5200 of 2026-03-11 is older than the last distributor index 5290 of 2026-03-13");
    expect(inv!.consumption!.source).toBe("peerAverage");
    expect(inv!.indexes.at(-1)!.index).toBe("5310");
    expect(totals(inv!)).toEqual(["79.00", "15.80", "94.80"]);
  });

  it("R2 engine 0.3.3 carried it to 03-15 below the distributor's index of two days before (5233.33 < 5290): TTC 75.41", () => {
    const [inv] = run(c, "0.3.3");
    // 200 kWh in 24 d carried 4 d: 5200 + 200 × 4/24 = 15700/3; 700/3 kWh × 0.1770 = 41.30; × 0.0337 = 7.8633 → 7.86;
    // HT 13.68 + 49.16 = 62.84; VAT 12.568 → 12.57; TTC 75.41.
    expect(inv!.consumption!.source).toBe("selfRead");
    expect(inv!.indexes.at(-1)!.index).toBe("5233.333333333333");
    expect(totals(inv!)).toEqual(["62.84", "12.57", "75.41"]);
  });
});

describe("R2 audit — a self-read of the same day as a distributor index", () => {
  // Billed up to 5000 (distributor, 02-15). The distributor read 5290 on 03-13 (received 03-14); the customer
  // sent 9999 read the same day (a typo). No day between the two reads: no rate to check (0.3.3: unchecked).
  const c = { asOf: "2026-03-15", reads: [dr("2026-02-15", "5000"), dr("2026-03-13", "5290", "2026-03-14"), sr("2026-03-13", "9999")], billing: billedActual("2026-02-15", "5000") };

  it("R2 the distributor's index counts for that day: the self-read is rejected, the peers grow from 5290 (→ 5310), TTC 94.80", () => {
    const [inv] = run(c);
    // 310 kWh: 54.87 + 10.45; HT 79.00; VAT 15.80; TTC 94.80 (as above).
    expect(selfReadReason(inv!)).toBe("self-read BASE 9999 of 2026-03-13 is of the same day as the last distributor index 5290 of 2026-03-13");
    expect(totals(inv!)).toEqual(["79.00", "15.80", "94.80"]);
  });

  it("R2 engine 0.3.3 billed 9999 unchecked as the index of 03-15 (4,999 kWh): TTC 1,280.36", () => {
    const [inv] = run(c, "0.3.3");
    // 4999 × 0.1770 = 884.823 → 884.82; 4999 × 0.0337 = 168.4663 → 168.47; HT 13.68 + 1,053.29 = 1,066.97;
    // VAT 213.394 → 213.39; TTC 1,280.36.
    expect(inv!.consumption!.source).toBe("selfRead");
    expect(totals(inv!)).toEqual(["1066.97", "213.39", "1280.36"]);
  });
});

describe("R2 audit — a self-read dated before a short first energy period's commissioning index", () => {
  // Contract from 2026-03-03, billing day 5: the energy period [03-03, 03-05) has 2 days and its window
  // [02-28, 03-05] reaches before it. Distributor 1000 on 03-03 (commissioning); a self-read 1500 of 03-02.
  // Subscription [03-05, 04-05): 12.50 × 27/31 = 10.887… → 10.89, CTA 4.50 × 27/31 × 21.93 % = 0.8595 → 0.86,
  // 12.50 × 4/30 = 1.666… → 1.67, CTA 4.50 × 4/30 × 21.93 % = 0.1316 → 0.13: 13.55 HT.
  const c = {
    asOf: "2026-03-05",
    contract: { communicatingMeter: false, start: "2026-03-03", billingDay: 5 },
    reads: [dr("2026-03-03", "1000"), sr("2026-03-02", "1500")],
    billing: { lastBillingDate: "2026-03-03" },
  };

  it("R2 it is older than the distributor's 1000 of 03-03 (the meter would go back from 1500): rejected; the peers' 2 d × 10 = 20 kWh are billed, TTC 21.31", () => {
    const [inv] = run(c);
    // 20 × 0.1770 = 3.54; 20 × 0.0337 = 0.674 → 0.67; HT 13.55 + 4.21 = 17.76; VAT 3.552 → 3.55; TTC 21.31.
    expect(selfReadReason(inv!)).toBe("self-read BASE 1500 of 2026-03-02 is older than the last distributor index 1000 of 2026-03-03");
    expect(totals(inv!)).toEqual(["17.76", "3.55", "21.31"]);
  });

  it("R2 engine 0.3.3 billed it unchecked as the index of 03-05 (no day since a distributor index before it: no check, no carry; 500 kWh in 2 days): TTC 142.68", () => {
    const [inv] = run(c, "0.3.3");
    // 500 × 0.1770 = 88.50; 500 × 0.0337 = 16.85; HT 13.55 + 105.35 = 118.90; VAT 23.78; TTC 142.68.
    expect(inv!.consumption!.source).toBe("selfRead");
    expect(totals(inv!)).toEqual(["118.90", "23.78", "142.68"]);
  });
});

describe("R1 audit — the self-read used is an index inside the period (« unless an index exists at the change date »)", () => {
  // Distributor 5000 on 01-15; the invoice of 02-15 estimated 5300 (peers). Supply 0.1370 → 0.1570 on 03-01
  // (kWh 0.1770 → 0.1970). Self-read 5420 of 03-01, sent 03-10: 420 kWh in 45 d since 01-15 (≤ 3 × 450),
  // carried 14 d at that rate: 420 × 14/45 = 392/3 → end 5420 + 392/3 = 16652/3 = 5550.666…; billed 752/3 kWh.
  const c = {
    asOf: "2026-03-15",
    offer: {
      id: "O",
      name: "Price change 03-01",
      capacity: "included" as const,
      subscription: [{ from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" }],
      energy: [
        { from: "2020-01-01", to: "2026-03-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" },
        { from: "2026-03-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1570" },
      ],
    },
    reads: [dr("2026-01-15", "5000"), { ...sr("2026-03-01", "5420"), receivedOn: "2026-03-10" }],
    billing: { lastBillingDate: "2026-02-15", lastIndexes: { BASE: { index: "5300", estimated: true, actualReadDate: "2026-01-15", source: "peerAverage" } } },
  };

  it("R1 the kWh up to the self-read (120) at the old price, the carry (392/3) at the new one: HT 69.10, TTC 82.92", () => {
    const [inv] = run(c);
    // 120 × 0.1770 = 21.24; 120 × 0.0337 = 4.044 → 4.04; 392/3 × 0.1970 = 25.7413… → 25.74; 392/3 × 0.0337 = 4.4034… → 4.40;
    // HT 13.68 + 55.42 = 69.10; VAT 13.82; TTC 82.92.
    expect(inv!.consumption!.source).toBe("selfRead");
    expect(energy(inv!)).toEqual([
      ["energy", "120", "21.24"],
      ["excise", "120", "4.04"],
      ["energy", "130.666666666667", "25.74"],
      ["excise", "130.666666666667", "4.40"],
    ]);
    expect(totals(inv!)).toEqual(["69.10", "13.82", "82.92"]);
  });

  it("R1 engine 0.3.3 spread the 752/3 kWh by days (14/28 each side): HT 68.99, TTC 82.79", () => {
    const [inv] = run(c, "0.3.3");
    // 376/3 × 0.1770 = 22.184 → 22.18; × 0.0337 = 4.2237… → 4.22; 376/3 × 0.1970 = 24.6906… → 24.69; 4.22;
    // HT 13.68 + 55.31 = 68.99; VAT 13.798 → 13.80; TTC 82.79.
    expect(energy(inv!)).toEqual([
      ["energy", "125.333333333333", "22.18"],
      ["excise", "125.333333333333", "4.22"],
      ["energy", "125.333333333333", "24.69"],
      ["excise", "125.333333333333", "4.22"],
    ]);
    expect(totals(inv!)).toEqual(["68.99", "13.80", "82.79"]);
  });
});
