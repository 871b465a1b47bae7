/**
 * R5 · CGV 6.6.2 — « La régularisation ne peut porter sur aucune consommation antérieure de plus de
 * quatorze (14) mois au dernier relevé ou auto-relevé » — on a correction (recalculation.ts), not only on
 * the nightly reconciliation (consumption/back-billing-cap.ts).
 *
 * The contract (testing/example-case.ts, non-communicating): 6 kVA BASE, kWh 0.1370 supply + 0.0400 network
 * = 0.1770 €/kWh, excise 33.70 €/MWh, energy and excise at 20 %. Distributor index a = 1,000 on 2024-01-10;
 * estimated monthly by the peer average, 10 kWh a day (FA-2 … FA-18, billed up to 2025-06-10: 517 days,
 * 5,170 kWh); the distributor index b = 12,000 on 2025-07-10 reconciles them on FA-19, capped by R5:
 *   C = 11,000 over 547 days; floor 2024-05-10 (121 days before, 426 after);
 *   C_old = 11,000 × 121/547, E_old = 1,210 → held back 1,331,000/547 − 1,210 = 669,130/547;
 *   FA-19 bills 11,000 − 5,170 − 669,130/547 = 2,519,880/547 = 4,606.7276… kWh. Total billed 9,776.73 kWh.
 *
 * On 2025-08-01 the supplier finds the distributor's index of 2024-03-10 (2,500) it never loaded and
 * regularises from FA-2 on. Recomputed from its own case (whose last reading is 2024-03-10, floor
 * 2023-01-10, before a: no cap), FA-3 [2024-02-10, 2024-03-10) reconciles its start (the estimate 1,310) with
 * 2,500: 1,190 kWh instead of 290 — consumption of January–March 2024, 16 to 18 months before the last
 * reading (2025-07-10), more than 14 months: R5 forbids charging it (no fraud, no registered letter).
 *   FA-3 before: energy 290 × 0.1770 = 51.33, excise 290 × 0.0337 = 9.773 → 9.77; VAT 20 % of 61.10 = 12.22.
 *   FA-3 by 0.3.3: energy 1,190 × 0.1770 = 210.63, excise 1,190 × 0.0337 = 40.103 → 40.10; VAT 20 % of 250.73
 *   = 50.146 → 50.15. Difference: HT 159.30 + 30.33 = 189.63, VAT 37.93, TTC +227.56.
 * Engine 0.3.4 keeps FA-3 as issued (refused, rule R5 · CGV 6.6.2), and so every later invoice that would
 * reconcile the same old kWh; FA-19, chained from the issued FA-18, is unchanged (same a, b, E).
 */
import { describe, expect, it } from "vitest";
import type { Invoice } from "../invoice/document.ts";
import { billedIndexesOf, dueInvoices } from "../invoice/monthly-invoice.ts";
import { rulesetFor } from "../ruleset.ts";
import { exampleCase } from "../testing/example-case.ts";
import { type IssuedInvoice, type WhatIf, RULE_R5_CORRECTION_CAP, recalculate } from "./recalculation.ts";

const month = (i: number) => `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
const peers = Array.from({ length: 20 }, (_, i) => ({ month: month(i), register: "BASE" as const, kwhPerDay: "10", version: "2024-01-01" }));
const reads = [
  { date: "2024-01-10", source: "distributorActual" as const, registers: { BASE: "1000" } },
  { date: "2025-07-10", source: "distributorActual" as const, registers: { BASE: "12000" } },
];

/** FA-1 … FA-19 as the nightly runs issued them: each computed on its billing date from the previous one's billed index. */
function issuedChain(peerAverages: typeof peers = peers, engineVersion?: string): IssuedInvoice[] {
  const out: IssuedInvoice[] = [];
  let prev: Invoice | null = null;
  for (let i = 0; i < 19; i++) {
    const d = `${month(i)}-10`;
    const billed = prev ? billedIndexesOf(prev) : null;
    const c = exampleCase({
      asOf: d,
      contract: { start: "2024-01-10", billingDay: 10, communicatingMeter: false },
      reads: reads.filter((r) => r.date <= d),
      estimation: { peerAverages },
      billing: prev ? { lastBillingDate: prev.billingDate, lastIssueDate: prev.issueDate, ...(billed ? { lastIndexes: billed } : {}) } : { lastBillingDate: null },
    });
    const r = dueInvoices(c, engineVersion ? { engineVersion } : {});
    if (!r.ok) throw new Error(`${r.failure.code}: ${r.failure.message}`);
    for (const document of r.invoices) {
      out.push({ number: `FA-${out.length + 1}`, document, storedCase: c });
      prev = document;
    }
  }
  return out;
}

const kwh = (i: Invoice) => i.lines.filter((l) => l.kind === "energy").map((l) => l.quantity);
const foundRead: WhatIf = { reads: [{ date: "2024-03-10", register: "BASE", index: "2500", source: "distributorActual" }], exceptions: [] };

describe("R5 audit — a correction may not charge consumption older than 14 months before the last reading", () => {
  const issued = issuedChain();

  it("R5 the issued chain: 310 / 290 kWh estimated, FA-19 reconciles 2,519,880/547 kWh (capped, floor 2024-05-10)", () => {
    expect(kwh(issued[1]!.document)).toEqual(["310"]);
    expect(kwh(issued[2]!.document)).toEqual(["290"]);
    expect(issued[2]!.document.totalTtc).toBe("87.69");
    const fa19 = issued[18]!.document.lines.find((l) => l.kind === "energy")!;
    expect(fa19.inputs).toMatchObject({ r5Floor: "2024-05-10", r5RegularisationKwh: "2519880/547", r5NotBilledKwh: "669130/547" });
  });

  it("R5 · CGV 6.6.2 engine 0.3.4: the index of 2024-03-10 found on 2025-08-01 charges nothing more — FA-3 … FA-18 kept as issued, FA-19 unchanged", () => {
    const r = recalculate(issued, foundRead, { requestedOn: "2025-08-01", initiatedBy: "supplier" });
    expect(r.slice(0, 2).map((x) => x.status)).toEqual(["unchanged", "unchanged"]);
    const fa3 = r[2]!;
    expect(fa3).toMatchObject({ status: "refused", number: "FA-3", rule: RULE_R5_CORRECTION_CAP });
    expect(fa3.status === "refused" && fa3.reason).toMatch(/900\.00 kWh more \(227\.56 € TTC\) on FA-3 for consumption from 2024-01-10, before 2024-05-10 \(14 months before the last reading of 2025-07-10\)/);
    expect(r.slice(3, 18).every((x) => x.status === "refused")).toBe(true);
    expect(r[18]!.status).toBe("unchanged");
  });

  it("R5 · CGV 6.6.2 engine 0.3.3 (ruleset correctionBackBillingCap false) replaced FA-3 with 1,190 kWh, +227.56 TTC", () => {
    const r = recalculate(issued, foundRead, { requestedOn: "2025-08-01", initiatedBy: "supplier" }, rulesetFor("0.3.3"));
    const fa3 = r[2]!;
    if (fa3.status !== "corrected") throw new Error(fa3.status);
    expect(kwh(fa3.recomputed)).toEqual(["1190"]);
    expect(fa3.lines.map((l) => [l.label, l.issued?.amount, l.recomputed?.amount])).toEqual([
      ["energy BASE 2024-02-10..2024-03-10", "51.33", "210.63"],
      ["excise BASE 2024-02-10..2024-03-10", "9.77", "40.10"],
    ]);
    expect(fa3.totals).toEqual({ ht: "189.63", vat: "37.93", ttc: "227.56" });
  });

  it("R5 · CGV 6.6.2 with fraud recorded (exception b) the correction charges the old consumption: FA-3 +227.56", () => {
    const fraud: WhatIf = { ...foundRead, exceptions: [{ kind: "fraud", evidence: "PV-2025-9", recordedOn: "2025-08-01" }] };
    const fa3 = recalculate(issued, fraud, { requestedOn: "2025-08-01", initiatedBy: "supplier" })[2]!;
    expect(fa3).toMatchObject({ status: "corrected", totals: { ttc: "227.56" } });
  });

  it("R5 a correction that credits is never capped: an index of 2024-03-10 of 1,400 (below the estimate 1,600 billed up to it) credits FA-3", () => {
    // FA-3 recomputed: 1,400 − 1,310 = 90 kWh instead of 290: energy 15.93 (−35.40), excise 3.033 → 3.03 (−6.74);
    // VAT 20 % of 18.96 = 3.792 → 3.79 (was 12.22): TTC −35.40 − 6.74 − 8.43 = −50.57.
    const low: WhatIf = { reads: [{ date: "2024-03-10", register: "BASE", index: "1400", source: "distributorActual" }], exceptions: [] };
    const fa3 = recalculate(issued.slice(0, 3), low, { requestedOn: "2025-08-01", initiatedBy: "supplier" })[2]!;
    expect(fa3).toMatchObject({ status: "corrected", totals: { ht: "-42.14", vat: "-8.43", ttc: "-50.57" } });
  });
});

/**
 * R5 reading « E_old / E_new the kWh already billed for the same parts » (ruleset `billedPartsCap`, engine
 * 0.3.5+): each estimated end index carries the billed index of every earlier billing date since a (its
 * billed path), so the cap takes E_old = the billed index at the floor − index(a). Peer averages 5 kWh/day
 * January–April, 20 kWh/day from May (R2's own seasonal estimates): the invoices billed 740 kWh for
 * [2024-01-10, 2024-05-10) (112 days × 5 + 9 days × 20; the floor 2024-05-10 is a billing date: billed
 * index 1,740) and 6,120 for [2024-05-10, 2025-06-10), 6,860 in all. Same reads as above: C_new =
 * 4,686,000/547, C_old = 1,331,000/547.
 *   RULES.md (0.3.5): C_old − E_old = 1,331,000/547 − 740 > 0 (held back), so regularisation = C_new − E_new
 *   = 4,686,000/547 − 3,347,640/547 = 1,338,360/547 = 2,446.7276… kWh.
 *   Engine 0.3.4 (E spread evenly over [2024-01-10, 2025-06-10), 517 days): E_old = 6,860 × 121/517 =
 *   75,460/47, E_new = 246,960/47 → 85,154,880/25,709 = 3,312.26 kWh, 865.53 kWh more (≈ 153.20 € HT at 0.1770).
 */
describe("R5 audit — E_old / E_new are the kWh billed for the days before / after the floor", () => {
  const seasonal = Array.from({ length: 20 }, (_, i) => ({ month: month(i), register: "BASE" as const, kwhPerDay: i % 12 <= 3 ? "5" : "20", version: "2024-01-01" }));
  const energyOf = (chain: IssuedInvoice[]) => chain.at(-1)!.document.lines.find((x) => x.kind === "energy")!;

  it("R5 · CGV 6.6 engine 0.3.5 (billedPartsCap): E_old 740, E_new 6,120 → 1,338,360/547 = 2,446.73 kWh", () => {
    const chain = issuedChain(seasonal);
    const l = energyOf(chain);
    expect(l.inputs).toMatchObject({ r5BilledOldKwh: "740", r5BilledNewKwh: "6120", r5RegularisationKwh: "1338360/547", r5BilledSplit: "billed path: the billed index of 2024-05-10" });
    expect(l.quantity).toBe("2446.72760511883");
    // The path rides on each estimated end index: FA-18's (billed up to 2025-06-10) holds the 16 billing dates 2024-02-10 … 2025-05-10.
    const end = chain[17]!.document.indexes.find((i) => i.date === "2025-06-10")!;
    expect(end.billedPath).toHaveLength(16);
    expect(end.billedPath!.slice(0, 4)).toEqual([
      { date: "2024-02-10", index: "1155" }, { date: "2024-03-10", index: "1300" }, { date: "2024-04-10", index: "1455" }, { date: "2024-05-10", index: "1740" },
    ]);
    // FA-2 (its end the first estimate from a) has an empty path; FA-19 (an actual end) none.
    expect(chain[1]!.document.indexes.find((i) => i.date === "2024-02-10")!.billedPath).toEqual([]);
    expect(chain[18]!.document.indexes.every((i) => i.billedPath === undefined)).toBe(true);
  });

  it("R5 · CGV 6.6 engine 0.3.4 (billedPartsCap false): E spread evenly — 3,312.26 kWh (E_old 75,460/47), no path on the documents", () => {
    const chain = issuedChain(seasonal, "0.3.4");
    const l = energyOf(chain);
    expect(l.inputs).toMatchObject({ r5BilledOldKwh: "75460/47", r5BilledNewKwh: "246960/47", r5RegularisationKwh: "85154880/25709" });
    expect(l.inputs["r5BilledSplit"]).toBeUndefined();
    expect(chain.every((x) => x.document.indexes.every((i) => i.billedPath === undefined))).toBe(true);
  });

  it("R5 · CGV 6.6 a chain issued by 0.3.4 (no path) reconciled by 0.3.5 keeps the even spread: 3,312.26 kWh, said on the line", () => {
    const chain = issuedChain(seasonal, "0.3.4").slice(0, 18);
    const prev = chain.at(-1)!;
    const billed = billedIndexesOf(prev.document)!;
    const c = exampleCase({
      asOf: "2025-07-10",
      contract: { start: "2024-01-10", billingDay: 10, communicatingMeter: false },
      reads,
      estimation: { peerAverages: seasonal },
      billing: { lastBillingDate: "2025-06-10", lastIssueDate: "2025-06-10", lastIndexes: billed },
    });
    const r = dueInvoices(c);
    if (!r.ok) throw new Error(r.failure.message);
    expect(r.invoices[0]!.lines.find((x) => x.kind === "energy")!.inputs).toMatchObject({
      r5BilledOldKwh: "75460/47", r5RegularisationKwh: "85154880/25709",
      r5BilledSplit: "even: the kWh billed since 2024-01-10 spread pro rata temporis over the days they billed (no billed path)",
    });
  });

  it("R5 with even estimates the billed path gives the even spread's figures: FA-19 of the 10 kWh/day chain unchanged (2,519,880/547)", () => {
    const l = energyOf(issuedChain());
    expect(l.inputs).toMatchObject({ r5BilledOldKwh: "1210", r5BilledNewKwh: "3960", r5RegularisationKwh: "2519880/547", r5BilledSplit: "billed path: the billed index of 2024-05-10" });
  });
});

/**
 * R5 « kWh are carried at full precision through this formula »: the last estimate was billed exactly
 * (engine 0.3.3+, billing.lastIndexes.exact = 3,799,000/517, printed 7,348.162475822051). a = 1,000 on
 * 2024-01-10, b = 12,000 on 2025-08-10 (578 days), floor 2024-06-10 (152 days before, 426 after); billed up to
 * 2025-07-10 (547 days: 152 old, 395 new).
 *   E = 3,799,000/517 − 1,000 = 3,282,000/517; E_old = E × 152/547 = 912,000/517; E_new = E × 395/547 = 2,370,000/517;
 *   C_old = 11,000 × 152/578 = 836,000/289 > E_old (held back 168,644,000/149,413); C_new = 11,000 × 426/578;
 *   regularisation = C_new − E_new = 526,401,000/149,413 = 3,523.1271… kWh (the whole energy of [07-10, 08-10));
 *   energy × 0.1770 = 623.5935… → 623.59; excise × 0.0337 = 118.7294… → 118.73.
 * Engine 0.3.3 took E from the 12-place print: r5BilledNewKwh 501,504,835,589,942,029/109,400,000,000,000.
 */
describe("R5 audit — E from the exact billed start", () => {
  const c = exampleCase({
    asOf: "2025-08-10",
    contract: { start: "2024-01-10", billingDay: 10, communicatingMeter: false },
    reads: [
      { date: "2024-01-10", source: "distributorActual", registers: { BASE: "1000" } },
      { date: "2025-08-10", source: "distributorActual", registers: { BASE: "12000" } },
    ],
    billing: { lastBillingDate: "2025-07-10", lastIssueDate: "2025-07-10", lastIndexes: { BASE: { index: "7348.162475822051", exact: "3799000/517", estimated: true, source: "history", actualReadDate: "2024-01-10" } } },
  });
  const energy = (engineVersion?: string) => {
    const r = dueInvoices(c, engineVersion ? { engineVersion } : {});
    if (!r.ok) throw new Error(r.failure.message);
    return r.invoices[0]!.lines.filter((l) => l.kind === "energy" || l.kind === "excise");
  };

  it("R5 engine 0.3.4: E 3,282,000/517, regularisation 526,401,000/149,413 kWh exactly; 623.59 + excise 118.73", () => {
    const [e, x] = energy();
    expect(e!.inputs).toMatchObject({ r5BilledOldKwh: "912000/517", r5BilledNewKwh: "2370000/517", r5NotBilledKwh: "168644000/149413", r5RegularisationKwh: "526401000/149413", kwhExact: "526401000/149413" });
    expect([e!.amount, x!.amount]).toEqual(["623.59", "118.73"]);
  });

  it("R5 engine 0.3.3 (ruleset exactCapStart false): E from the printed index, the same cents", () => {
    const [e, x] = energy("0.3.3");
    expect(e!.inputs).toMatchObject({ r5BilledNewKwh: "501504835589942029/109400000000000" });
    expect([e!.amount, x!.amount]).toEqual(["623.59", "118.73"]);
  });
});

describe("R5 audit — the correction cap does not refuse what the invoice's own cap already protects", () => {
  const issued = issuedChain();
  it("R5 the distributor corrects its index of 2025-07-10 to 12,100: FA-19 (capped from 2024-05-10 already) re-issued, +100 × 426/547 kWh, TTC +19.69", () => {
    // C = 11,100: regularisation = 11,100 × 426/547 − 3,960 = 2,562,480/547 = 4,684.6069… kWh (C_old − E_old > 0 still held back);
    // energy 4,684.6069… × 0.1770 = 829.175… → 829.18 (was 815.39); excise × 0.0337 = 157.871… → 157.87 (was 155.25);
    // HT +13.79 + 2.62 = +16.41; VAT 20 % of 987.05 = 197.41 (was 970.64 → 194.13): +3.28; TTC +19.69.
    const fix: WhatIf = { reads: [{ date: "2025-07-10", register: "BASE", index: "12100", source: "distributorActual" }], exceptions: [] };
    const r = recalculate(issued.slice(18), fix, { requestedOn: "2025-08-01", initiatedBy: "supplier" });
    const fa19 = r[0]!;
    if (fa19.status !== "corrected") throw new Error(fa19.status === "refused" ? fa19.reason : fa19.status);
    expect(fa19.recomputed.lines.find((l) => l.kind === "energy")!.inputs).toMatchObject({ r5RegularisationKwh: "2562480/547" });
    expect(fa19.totals).toEqual({ ht: "16.41", vat: "3.28", ttc: "19.69" });
  });
});
