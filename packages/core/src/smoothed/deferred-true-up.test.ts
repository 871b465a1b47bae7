/**
 * R1 · CGV 6.1 « factures lissées sur l'année, payées mensuellement, avec une facture de régularisation
 * annuelle établie sur la base des consommations réelles » (ruleset `deferredTrueUp`, engine 0.3.5+): at an
 * anniversary before the distributor's index after it is known, the new plan year starts on time and the
 * true-up waits; it is issued the night the index is known, with the figures 0.3.4 gives it that night.
 *
 * A non-communicating meter, smoothed from 2024-09-01, billing day 1, 6 kVA BASE at 0.1770 €/kWh HT
 * (supply 0.1370 + network 0.04), 12.50 €/month, CTA 0.99 a month, excise 33.70 €/MWh, VAT 20 %.
 * Plan 1 [2025-09-01, 2026-09-01): 11 × 92.25 + 92.26 = 1,107.01. The distributor's reads: 2024-09-01
 * 1,000; 2025-09-01 4,610; 2026-03-02 6,584; then none until 2026-11-27 8,924, received 2026-11-28 —
 * nearly 3 months after the anniversary.
 *
 * Plan 2, 2026-09-01 (history on the distributor's indexes, as every plan): 2026-03-02 6,584 minus
 * 2025-03-02 = 1,000 + 3,610 × 182/365; × 365/365 → 1381140/365 = 3,783.945… kWh;
 *   subscription 12 × 12.50 = 150.00; CTA 12 × 0.99 = 11.88; energy × 0.1770 = 669.758… → 669.76;
 *   excise × 0.0337 = 127.519… → 127.52; HT 959.16; VAT 191.832 → 191.83; TTC 1,150.99
 *   → 11 × 95.92 (1,150.99 / 12 = 95.915…) and 95.87.
 * True-up of year 1, the night of 2026-11-28: the index of 2026-09-01 interpolated between 2026-03-02 and
 * 2026-11-27: 6,584 + 2,340 × 183/270 = 8,170; the year 8,170 − 4,610 = 3,560 kWh;
 *   subscription 150.00; CTA 11.88; energy 3,560 × 0.1770 = 630.12; excise 3,560 × 0.0337 = 119.972
 *   → 119.97; HT 911.97; VAT 182.394 → 182.39; TTC 1,094.36 (engine 0.3.4).
 *   R5 (ruleset trueUpCap, 0.3.5): the last reading 2026-11-27 puts the floor at 2025-09-27, 26 days into
 *   the year: C_old = 1,974 × 26/182 = 282 kWh, E_old = the plan's 3,610 × 26/365 = 18,772/73 = 257.15…;
 *   held back 282 − 18,772/73 = 1,814/73 = 24.849… kWh: energy −4.398… → −4.40, excise −0.837… → −0.84;
 *   HT 906.73; VAT 181.346 → 181.35; TTC 1,088.08; balance 1,088.08 − 1,107.01 = −18.93: a credit under
 *   25.00 €, carried forward (R4) — deducted from the next notice, 2026-12-01's (0.3.4: −12.65).
 * Readjustment of 2026-12-01 (plan 2's 4th instalment): 8,924 − 8,170 = 754 kWh in 87 days → 754 × 365/87
 * = 3,163.33 kWh, 994.08 € TTC, −13.63 % from 1,150.99: the 9 remaining instalments (994.08 − 3 × 95.92)
 * / 9 = 78.48; that night's notice 78.48 − 18.93 = 59.55 due.
 */
import { describe, expect, it } from "vitest";
import type { Case, PlanState } from "../case/schema.ts";
import type { Invoice } from "../invoice/document.ts";
import { previousBillingDate } from "../invoice/schedule.ts";
import { addDays } from "../primitives/dates.ts";
import { exampleCase } from "../testing/example-case.ts";
import type { InstalmentNotice, InstalmentPlan, PlanReadjustment } from "./documents.ts";
import { type SmoothedDocument, dueSmoothedDocuments } from "./smoothed-billing.ts";

const PLAN_1: PlanState = { reference: "K1/2025-09-01", start: "2025-09-01", estimatedTotalTtc: "1107.01", amountsTtc: [...Array(11).fill("92.25"), "92.26"], estimatedKwh: { BASE: "3610" } };
const distributor = (date: string, index: string, receivedOn?: string) => ({ date, source: "distributorActual" as const, registers: { BASE: index }, ...(receivedOn ? { receivedOn } : {}) });
const READS = [distributor("2024-09-01", "1000"), distributor("2025-09-01", "4610"), distributor("2026-03-02", "6584"), distributor("2026-11-27", "8924", "2026-11-28")];
const CONTRACT = { start: "2024-09-01", billingDay: 1, billingMode: "smoothed" as const, communicatingMeter: false };

/** The case of the night `asOf`, with the reads received by then (as the store loads them). */
const night = (asOf: string, lastBillingDate: string, plan: PlanState, over: { end?: string; events?: unknown[] } = {}): Case =>
  exampleCase({
    asOf,
    contract: { ...CONTRACT, ...(over.end ? { end: over.end } : {}) },
    reads: READS.filter((r) => (r.receivedOn ?? r.date) <= asOf) as never,
    events: (over.events ?? []) as never,
    billing: { lastBillingDate, plan },
  });

interface Night { readonly date: string; readonly documents: readonly SmoothedDocument[]; readonly waiting?: string | undefined }

/** Every night from `from` to `to`, the contract run when due (next billing date on or before the night), its state carried. */
function nights(from: string, to: string, over: { end?: string; events?: unknown[] } = {}, engineVersion?: string): { runs: Night[]; plan: PlanState; next: string | null } {
  let plan = PLAN_1;
  let next: string | null = from;
  let last = "2026-08-01";
  const runs: Night[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    if (next === null || next > d) continue;
    const out = dueSmoothedDocuments(night(d, last, plan, over), {}, engineVersion ? { engineVersion } : {});
    if (!out.ok) throw new Error(`${d}: ${out.failure.code} (${out.billingDate}): ${out.failure.message}`);
    runs.push({ date: d, documents: out.documents, waiting: out.waiting });
    plan = out.plan!;
    next = out.nextBillingDate;
    if (next !== null) last = previousBillingDate({ start: CONTRACT.start, billingDay: 1, end: over.end ?? null }, next)!;
  }
  return { runs, plan, next };
}

const WAITING = "the true-up of plan K1/2025-09-01 (year 2025-09-01 to 2026-09-01) waits for the distributor's index on or after 2026-09-01";
const issued = (runs: readonly Night[]) => runs.filter((r) => r.documents.length > 0).map((r) => [r.date, r.documents.map((d) => d.kind)]);

describe("R1 · CGV 6.1 — a smoothed year does not wait for its true-up (engine 0.3.5, deferredTrueUp)", () => {
  const { runs, plan, next } = nights("2026-09-01", "2026-12-01");
  const on = (date: string) => runs.find((r) => r.date === date)!;

  it("plan 2 and its notices on schedule; the year-1 true-up the night its index is known (2026-11-28); every other night waits, none fails", () => {
    expect(issued(runs)).toEqual([
      ["2026-09-01", ["instalmentPlan", "instalmentNotice"]],
      ["2026-10-01", ["instalmentNotice"]],
      ["2026-11-01", ["instalmentNotice"]],
      ["2026-11-28", ["trueUpInvoice"]],
      ["2026-12-01", ["readjustment", "instalmentNotice"]],
    ]);
    // Due every night while the true-up waits (88 nights from 09-01 to 11-27), then on billing dates again.
    expect(runs.filter((r) => r.date <= "2026-11-27").length).toBe(88);
    expect(runs.filter((r) => r.date <= "2026-11-27").every((r) => r.waiting === WAITING)).toBe(true);
    expect(runs.filter((r) => r.date >= "2026-11-28").map((r) => [r.date, r.waiting])).toEqual([["2026-11-28", undefined], ["2026-12-01", undefined]]);
    expect([plan.pendingTrueUp, plan.creditToDeductTtc, next]).toEqual([undefined, "0.00", "2027-01-01"]);
  });

  it("plan 2 on 2026-09-01: 3,783.945… kWh, 1,150.99 € → 11 × 95.92 + 95.87, no credit; the notices 95.92 each", () => {
    const [p, n1] = on("2026-09-01").documents as [InstalmentPlan, InstalmentNotice];
    expect([p.reference, p.issueDate, p.basis, p.estimatedKwh["BASE"], p.estimatedTotalHt, p.estimatedTotalTtc, p.creditToDeductTtc]).toEqual(
      ["K1/2026-09-01", "2026-09-01", "history", "3783.945205479452", "959.16", "1150.99", "0.00"],
    );
    expect(p.amountsTtc).toEqual([...Array(11).fill("95.92"), "95.87"]);
    const notices = [n1, ...on("2026-10-01").documents, ...on("2026-11-01").documents] as InstalmentNotice[];
    expect(notices.map((n) => [n.instalmentNo, n.billingDate, n.issueDate, n.amountTtc, n.creditDeductedTtc, n.amountDueTtc])).toEqual([
      [1, "2026-09-01", "2026-09-01", "95.92", "0.00", "95.92"],
      [2, "2026-10-01", "2026-10-01", "95.92", "0.00", "95.92"],
      [3, "2026-11-01", "2026-11-01", "95.92", "0.00", "95.92"],
    ]);
  });

  it("the year-1 true-up of 2026-11-28: 3,560 kWh less R5's 24.85 held back, TTC 1,088.08, balance −18.93 carried forward — 0.3.4's invoice of that night but for the cap", () => {
    const [t] = on("2026-11-28").documents as [Invoice];
    expect([t.billingDate, t.issueDate, t.dueDate, t.totalHt, t.totalVat, t.totalTtc]).toEqual(["2026-09-01", "2026-11-28", "2026-12-13", "906.73", "181.35", "1088.08"]);
    expect(t.indexes.map((i) => [i.date, i.index, i.basis])).toEqual([["2025-09-01", "4610", "read"], ["2026-09-01", "8170", "interpolated"]]);
    expect(t.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.periodEnd, l.quantity, l.amount])).toEqual([
      ["energy", "2026-09-01", "3560", "630.12"], ["excise", "2026-09-01", "3560", "119.97"],
      ["energy", "2025-09-27", "-24.849315068493", "-4.40"], ["excise", "2025-09-27", "-24.849315068493", "-0.84"],
    ]);
    expect(t.lines.find((l) => l.quantity.startsWith("-24"))!.inputs).toMatchObject({ r5Floor: "2025-09-27", r5ConsumptionOldKwh: "282", r5BilledOldKwh: "18772/73", r5NotBilledKwh: "1814/73" });
    expect([t.trueUp!.planReference, t.trueUp!.instalmentsTotalTtc, t.trueUp!.balanceTtc, t.trueUp!.creditCarriedInTtc, t.trueUp!.settlement.kind, t.trueUp!.settlement.amountTtc])
      .toEqual(["K1/2025-09-01", "1107.01", "-18.93", "0.00", "carriedForward", "18.93"]);
    // 0.3.4 that night: the catch-up from 2026-08-01 (the true-up, then plan 2 and notices 1–3 at once).
    const old = dueSmoothedDocuments(night("2026-11-28", "2026-08-01", PLAN_1), {}, { engineVersion: "0.3.4" });
    if (!old.ok) throw new Error(old.failure.message);
    expect(old.documents.map((d) => d.kind)).toEqual(["trueUpInvoice", "instalmentPlan", "instalmentNotice", "instalmentNotice", "instalmentNotice"]);
    const o = old.documents[0] as Invoice;
    expect([o.totalHt, o.totalVat, o.totalTtc, o.trueUp!.balanceTtc]).toEqual(["911.97", "182.39", "1094.36", "-12.65"]);
    expect(o.lines.some((l) => l.rule.includes("R5"))).toBe(false);
    expect({ ...t, lines: [], totalHt: "", totalVat: "", totalTtc: "", vat: [], trueUp: { ...t.trueUp!, balanceTtc: "", settlement: null } })
      .toEqual({ ...o, lines: [], totalHt: "", totalVat: "", totalTtc: "", vat: [], trueUp: { ...o.trueUp!, balanceTtc: "", settlement: null } });
  });

  it("2026-12-01: the new year's readjustment measures from the anniversary's index (754 kWh to 11-27 → 78.48), and the notice deducts the true-up's 18.93 → 59.55", () => {
    const [r, n4] = on("2026-12-01").documents as [PlanReadjustment, InstalmentNotice];
    expect([r.planReference, r.consumedKwh["BASE"], r.measuredTo["BASE"], r.projectedKwh["BASE"], r.projectedTotalTtc, r.deviationPct, r.applied, r.newAmountTtc])
      .toEqual(["K1/2026-09-01", "754", "2026-11-27", "3163.333333333333", "994.08", "-13.63", true, "78.48"]);
    expect([n4.instalmentNo, n4.amountTtc, n4.creditDeductedTtc, n4.amountDueTtc]).toEqual([4, "78.48", "18.93", "59.55"]);
  });

  it("a night run again bills nothing new: 2026-11-28 again after it (billed up to 2026-11-01, no true-up waiting)", () => {
    const after = nights("2026-09-01", "2026-11-28");
    const again = dueSmoothedDocuments(night("2026-11-28", "2026-11-01", after.plan));
    expect(again).toMatchObject({ ok: true, documents: [], nextBillingDate: "2026-12-01" });
    expect([after.plan.creditToDeductTtc, after.plan.pendingTrueUp]).toEqual(["18.93", undefined]);
  });

  it("engine 0.3.4 (deferredTrueUp false): the contract failed NO_INDEX on 2026-09-01 and every night after until the index came", () => {
    for (const d of ["2026-09-01", "2026-10-01", "2026-11-27"]) {
      expect(dueSmoothedDocuments(night(d, "2026-08-01", PLAN_1), {}, { engineVersion: "0.3.4" })).toMatchObject({ ok: false, billingDate: "2026-09-01", failure: { code: "NO_INDEX" } });
    }
  });

  it("a contract ending on 2026-11-15 while the true-up waits: the final true-up waits behind it; on 11-28 both, in order, the year-1 credit (18.93 after R5) deducted on the final one", () => {
    const ended = nights("2026-09-01", "2026-11-28", { end: "2026-11-15" });
    const waits = ended.runs.filter((r) => r.date >= "2026-11-15" && r.date <= "2026-11-27");
    expect(waits.length).toBe(13);
    expect(waits.every((r) => r.documents.length === 0 && r.waiting === WAITING)).toBe(true);
    const last = ended.runs[ended.runs.length - 1]!;
    expect(last.date).toBe("2026-11-28");
    const [y1, fin] = last.documents as [Invoice, Invoice];
    expect([y1.billingDate, y1.totalTtc, y1.trueUp!.termination, y1.trueUp!.settlement.kind, y1.trueUp!.settlement.amountTtc]).toEqual(["2026-09-01", "1088.08", false, "carriedForward", "18.93"]);
    expect([fin.billingDate, fin.trueUp!.planReference, fin.trueUp!.termination, fin.trueUp!.creditCarriedInTtc]).toEqual(["2026-11-15", "K1/2026-09-01", true, "18.93"]);
    expect(last.documents.length).toBe(2);
    expect(ended.next).toBe(null);
  });

  it("one true-up at a time: the next anniversary (2027-09-01) with year 1's still waiting waits too — nothing issued, due again that date", () => {
    const plan2: PlanState = { reference: "K1/2026-09-01", start: "2026-09-01", estimatedTotalTtc: "1150.99", amountsTtc: [...Array(11).fill("95.92"), "95.87"], pendingTrueUp: { ...PLAN_1, end: "2026-09-01" } };
    const c = night("2027-09-01", "2027-08-01", plan2);
    const out = dueSmoothedDocuments({ ...c, reads: c.reads.filter((r) => r.date < "2026-09-01") });
    expect(out).toMatchObject({ ok: true, documents: [], nextBillingDate: "2027-09-01", waiting: WAITING, plan: { reference: "K1/2026-09-01", pendingTrueUp: { end: "2026-09-01" } } });
  });

  it("a switch to monthly billing at the anniversary waits for the true-up (nothing issued, not a failure); 0.3.4 failed NO_INDEX", () => {
    const events = [{ type: "billingModeChange", date: "2026-06-15", billingMode: "monthly" }];
    const out = dueSmoothedDocuments(night("2026-09-01", "2026-08-01", PLAN_1, { events }));
    expect(out).toMatchObject({ ok: true, documents: [], billingMode: "smoothed", nextBillingDate: "2026-09-01", waiting: WAITING });
    expect(dueSmoothedDocuments(night("2026-09-01", "2026-08-01", PLAN_1, { events }), {}, { engineVersion: "0.3.4" })).toMatchObject({ ok: false, failure: { code: "NO_INDEX" } });
  });
});
