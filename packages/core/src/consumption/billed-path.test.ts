/**
 * R5 · CGV 6.6 (« E_old/E_new the kWh already billed for the same parts », ruleset `billedPartsCap`, engine
 * 0.3.5+): the billed path — the index billed up to at each billing date since the distributor index `a` —
 * carried from invoice to invoice (IndexUsed.billedPath → billing.lastIndexes.*.billedPath), checked when a
 * case is parsed, kept by the stored-input trim, and followed by a correction's recomputed chain.
 *
 * The chain (as correction/audit-r5-correction-cap.test.ts): 6 kVA BASE, 0.1770 €/kWh, distributor index
 * a = 1,000 on 2024-01-10, estimated monthly on the 10th by peer averages of 5 kWh/day January–April and
 * 20 from May; b = 12,000 on 2025-07-10 reconciles on FA-19 (floor 2024-05-10, billed index there 1,740):
 * E_old 740, E_new 6,120, regularisation 1,338,360/547 kWh.
 */
import { describe, expect, it } from "vitest";
import { parseCase } from "../case/parse.ts";
import { trimCase, trimCaseParts } from "../case/trim.ts";
import { caseSchema } from "../case/schema.ts";
import { type IssuedInvoice, recalculate } from "../correction/recalculation.ts";
import type { Invoice } from "../invoice/document.ts";
import { billedIndexesOf, dueInvoices } from "../invoice/monthly-invoice.ts";
import { baseCaseInput, exampleCase } from "../testing/example-case.ts";

const month = (i: number) => `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`;
const seasonal = Array.from({ length: 20 }, (_, i) => ({ month: month(i), register: "BASE" as const, kwhPerDay: i % 12 <= 3 ? "5" : "20", version: "2024-01-01" }));
const reads = [
  { date: "2024-01-10", source: "distributorActual" as const, registers: { BASE: "1000" } },
  { date: "2025-07-10", source: "distributorActual" as const, registers: { BASE: "12000" } },
];

function caseOn(d: string, prev: Invoice | null) {
  const billed = prev ? billedIndexesOf(prev) : null;
  return exampleCase({
    asOf: d,
    contract: { start: "2024-01-10", billingDay: 10, communicatingMeter: false },
    reads: reads.filter((r) => r.date <= d),
    estimation: { peerAverages: seasonal },
    billing: prev ? { lastBillingDate: prev.billingDate, lastIssueDate: prev.issueDate, ...(billed ? { lastIndexes: billed } : {}) } : { lastBillingDate: null },
  });
}

function chain(): IssuedInvoice[] {
  const out: IssuedInvoice[] = [];
  let prev: Invoice | null = null;
  for (let i = 0; i < 19; i++) {
    const c = caseOn(`${month(i)}-10`, prev);
    const r = dueInvoices(c);
    if (!r.ok) throw new Error(r.failure.message);
    for (const document of r.invoices) {
      out.push({ number: `FA-${out.length + 1}`, document, storedCase: c });
      prev = document;
    }
  }
  return out;
}

const energy = (i: Invoice) => i.lines.find((l) => l.kind === "energy")!;

describe("R5 the billed path from invoice to invoice", () => {
  const issued = chain();

  it("R5 the billed path is the next case's billing.lastIndexes.BASE.billedPath: FA-19's case holds 16 points, 1,740 on 2024-05-10", () => {
    const path = issued[18]!.storedCase.billing.lastIndexes!.BASE!.billedPath!;
    expect(path).toHaveLength(16);
    expect(path[3]).toEqual({ date: "2024-05-10", index: "1740" });
    expect(path.at(-1)).toEqual({ date: "2025-05-10", index: "7240" });
    expect(energy(issued[18]!.document).inputs).toMatchObject({ r5BilledOldKwh: "740", r5RegularisationKwh: "1338360/547" });
  });

  it("R5 a case's billed path is checked: dates increasing, after actualReadDate, before lastBillingDate; a path needs actualReadDate", () => {
    const base = baseCaseInput();
    const withPath = (actualReadDate: string | null, billedPath: { date: string; index: string }[]) => ({
      ...base,
      asOf: "2025-07-15",
      billing: { lastBillingDate: "2025-06-15", lastIndexes: { BASE: { index: "1500", estimated: true, source: "peerAverage", actualReadDate, billedPath } } },
    });
    expect(caseSchema.safeParse(withPath("2025-01-15", [{ date: "2025-02-15", index: "1100" }, { date: "2025-03-15", index: "1200/7" }])).success).toBe(true);
    const issues = (x: unknown) => {
      const r = parseCase(x);
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues(withPath("2025-01-15", [{ date: "2025-03-15", index: "1200" }, { date: "2025-02-15", index: "1100" }]))).toEqual([
      "billing.lastIndexes.BASE.billedPath[1].date: is not after the previous point's date 2025-03-15",
    ]);
    expect(issues(withPath("2025-02-15", [{ date: "2025-02-15", index: "1100" }]))).toEqual(["billing.lastIndexes.BASE.billedPath[0].date: is not after actualReadDate 2025-02-15"]);
    expect(issues(withPath("2025-01-15", [{ date: "2025-06-15", index: "1100" }]))).toEqual(["billing.lastIndexes.BASE.billedPath[0].date: is not before billing.lastBillingDate 2025-06-15"]);
    expect(issues(withPath(null, [{ date: "2025-02-15", index: "1100" }]))).toEqual(["billing.lastIndexes.BASE.billedPath: needs actualReadDate (the distributor index the path starts from)"]);
    expect(issues(withPath("2025-01-15", [{ date: "2025-02-15", index: "-3" }]))[0]).toMatch(/^billing\.lastIndexes\.BASE\.billedPath\[0\]\.index: /);
  });

  it("R5 the stored input (trimmed case, whole or in parts through JSON) keeps the path: FA-19 recomputes the same, 1,338,360/547 kWh", () => {
    const { storedCase: c, document } = issued[18]!;
    const out = dueInvoices(c);
    if (!out.ok) throw new Error(out.failure.message);
    expect(out.invoices).toEqual([document]);
    const t = trimCase(c, out.invoices);
    expect(t.billing.lastIndexes!.BASE!.billedPath).toHaveLength(16);
    expect(dueInvoices(t)).toEqual(out);
    const parts = trimCaseParts(c, out.invoices);
    expect(dueInvoices(caseSchema.parse(JSON.parse(JSON.stringify({ ...parts.contractPart, ...parts.sharedParts() }))))).toEqual(out);
  });

  it("R5 a correction's recomputed chain carries the recomputed path: a self-read of 7,300 on 2025-05-10 → FA-19 E_old 740, E_new 6,180, 1,305,540/547 kWh", () => {
    // FA-17 [2025-04-10, 2025-05-10) now ends on the self-read 7,300 (was the estimate 7,240); FA-18 grows 620 kWh
    // from it to 7,920; FA-19 reconciles E = 6,920 with the billed path (1,740 on 2024-05-10 unchanged):
    // E_old 740, E_new 6,180; C_old − 740 > 0 held back: regularisation = 4,686,000/547 − 6,180 = 1,305,540/547.
    // (An even spread of 6,920 over 517 days would give E_old 837,320/517 and another figure.)
    const whatIf = { reads: [{ date: "2025-05-10", register: "BASE" as const, index: "7300", source: "selfRead" as const }], exceptions: [] };
    const r = recalculate(issued.slice(16), whatIf, { requestedOn: "2025-07-20", initiatedBy: "supplier" });
    expect(r.map((x) => x.status)).toEqual(["corrected", "corrected", "corrected"]);
    const fa19 = r[2]!;
    if (fa19.status !== "corrected") throw new Error(fa19.status);
    expect(energy(fa19.recomputed).inputs).toMatchObject({ r5BilledOldKwh: "740", r5BilledNewKwh: "6180", r5RegularisationKwh: "1305540/547" });
  });
});
