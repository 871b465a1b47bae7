/**
 * R8, R4, R5 — independent cases hand-computed from RULES.md (audit "what a contract's end and a
 * correction bill"): the final invoice credits the subscription billed in advance beyond the end
 * (R1 proration, each line rounded, the VAT regime of the credited days), any credit at termination is
 * refunded within 15 days of issue whatever its size; a withdrawal after an early start owes up to the
 * notice; a correction is a credit note and a new invoice, within R5's limits (2 years for the
 * supplier from the facts known, 5 years for the customer's contest).
 *
 * The example contract (testing/example-case.ts): 6 kVA BASE, subscription 8.00 supply + 4.50 network
 * = 12.50 €/month HT, CTA 21.93 % of the 4.50 network part, kWh 0.1770, excise 33.70 €/MWh; subscription
 * and CTA at 5.5 % until 2025-07-31, everything at 20 % from 2025-08-01.
 */
import { describe, expect, it } from "vitest";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { refundDecision } from "../payment/refund.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";
import { creditNoteFor, referenceOf } from "../correction/credit-note.ts";
import { type IssuedInvoice, recalculate, replacementInvoice } from "../correction/recalculation.ts";
import { withdrawalDecision } from "./withdrawal.ts";

const lines = (i: Invoice) => i.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const totals = (i: Invoice) => [i.totalHt, i.totalVat, i.totalTtc];
const ok = (out: ReturnType<typeof dueInvoices>) => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out;
};

/** A contract billed on `billingDay`, its last invoice on `last` (issued that day), ended on `end` by a termination received on `receivedOn`. */
function ended(p: { start: string; billingDay: number; last: string; end: string; receivedOn: string; asOf?: string; reads: ReturnType<typeof teleRead>[]; reason?: "termination" | "supplierSwitch" | "withdrawal" }) {
  return exampleCase({
    asOf: p.asOf ?? p.end,
    contract: { start: p.start, billingDay: p.billingDay, end: p.end },
    reads: p.reads,
    events: [{ type: "contractEnd", date: p.end, reason: p.reason ?? "termination", receivedOn: p.receivedOn, requestedBy: "customer" }],
    billing: { lastBillingDate: p.last, lastIssueDate: p.last },
  });
}

describe("R8 audit — the final invoice credits the subscription billed in advance beyond the end", () => {
  it("R8 end on 2025-09-10 (first day no longer supplied) after September was billed in advance: 21 days credited, −12.50 × 21/30 = −8.75, CTA −0.69; TTC 11.42", () => {
    // September [09-01, 10-01) billed on 09-01; end 2025-09-10 received 09-05. The end is exclusive
    // (RULES.md [a, b); a switch ends on the new supplier's start date): 09-10..09-30 = 21 days credited.
    // credit 12.50 × 21/30 = 8.75; CTA 4.50 × 21/30 × 21.93 % = 0.690795 → −0.69 (20 %);
    // energy [09-01, 09-10) 90 kWh × 0.1770 = 15.93; excise 90 × 0.0337 = 3.033 → 3.03.
    // HT 9.52; VAT 20 % 1.904 → 1.90; TTC 11.42.
    const c = ended({ start: "2025-01-01", billingDay: 1, last: "2025-09-01", end: "2025-09-10", receivedOn: "2025-09-05", reads: [teleRead("2025-09-01", { BASE: "1000" }), teleRead("2025-09-10", { BASE: "1090" })] });
    const out = ok(dueInvoices(c));
    expect(out.nextBillingDate).toBeNull();
    const [final] = out.invoices;
    expect(final!.billingDate).toBe("2025-09-10");
    expect(final!.subscriptionPeriod).toBeNull();
    expect(lines(final!)).toEqual([
      ["subscription", "2025-09-10..2025-10-01", "-8.75", "20"],
      ["cta", "2025-09-10..2025-10-01", "-0.69", "20"],
      ["energy", "2025-09-01..2025-09-10", "15.93", "20"],
      ["excise", "2025-09-01..2025-09-10", "3.03", "20"],
    ]);
    expect(totals(final!)).toEqual(["9.52", "1.90", "11.42"]);
    expect(final!.final).toMatchObject({ end: "2025-09-10", reason: "termination" });
  });

  it("R8 last day supplied 2025-09-10 (end 09-11): 20 days credited, −12.50 × 20/30 = −8.33, CTA −0.66; TTC 14.50", () => {
    // credit 12.50 × 20/30 = 8.3333 → −8.33; CTA 4.50 × 20/30 × 21.93 % = 0.6579 → −0.66;
    // energy [09-01, 09-11) 100 kWh 17.70, excise 3.37; HT 12.08; VAT 2.416 → 2.42; TTC 14.50.
    const c = ended({ start: "2025-01-01", billingDay: 1, last: "2025-09-01", end: "2025-09-11", receivedOn: "2025-09-05", reads: [teleRead("2025-09-01", { BASE: "1000" }), teleRead("2025-09-11", { BASE: "1100" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(lines(final!).slice(0, 2)).toEqual([
      ["subscription", "2025-09-11..2025-10-01", "-8.33", "20"],
      ["cta", "2025-09-11..2025-10-01", "-0.66", "20"],
    ]);
    expect(totals(final!)).toEqual(["12.08", "2.42", "14.50"]);
  });

  it("R8 end on the 1st of a month in the middle of the period billed in advance (billed on the 15th): [02-01, 02-15) credited −6.25, CTA −0.49; TTC 34.90", () => {
    // credit 12.50 × 14/28 = 6.25; CTA 4.50 × 14/28 × 21.93 % = 0.493425 → −0.49;
    // energy [01-15, 02-01) 170 kWh: 30.09, excise 5.729 → 5.73; HT 29.08; VAT 5.816 → 5.82; TTC 34.90.
    const c = ended({ start: "2025-01-15", billingDay: 15, last: "2026-01-15", end: "2026-02-01", receivedOn: "2026-01-20", reads: [teleRead("2026-01-15", { BASE: "5000" }), teleRead("2026-02-01", { BASE: "5170" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2026-02-01..2026-02-15", "-6.25", "20"],
      ["cta", "2026-02-01..2026-02-15", "-0.49", "20"],
      ["energy", "2026-01-15..2026-02-01", "30.09", "20"],
      ["excise", "2026-01-15..2026-02-01", "5.73", "20"],
    ]);
    expect(totals(final!)).toEqual(["29.08", "5.82", "34.90"]);
  });

  it("R8 end on the 1st with monthly billing on the 1st: January was billed up to the end, nothing to credit; TTC 75.85", () => {
    // energy [01-01, 02-01) 300 kWh: 53.10, excise 10.11; HT 63.21; VAT 12.642 → 12.64; TTC 75.85.
    const c = ended({ start: "2025-01-01", billingDay: 1, last: "2026-01-01", end: "2026-02-01", receivedOn: "2026-01-10", reads: [teleRead("2026-01-01", { BASE: "5000" }), teleRead("2026-02-01", { BASE: "5300" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(final!.lines.map((l) => l.kind)).toEqual(["energy", "excise"]);
    expect(totals(final!)).toEqual(["63.21", "12.64", "75.85"]);
  });

  it("R8 an end known when the last invoice was issued: it billed the subscription up to the end only, the final invoice credits nothing", () => {
    const c = ended({ start: "2025-01-01", billingDay: 1, last: "2025-09-01", end: "2025-09-10", receivedOn: "2025-08-20", reads: [teleRead("2025-09-01", { BASE: "1000" }), teleRead("2025-09-10", { BASE: "1090" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(final!.lines.map((l) => l.kind)).toEqual(["energy", "excise"]);
    // The invoice of 09-01 itself (same case, billed from 08-01) bills September up to the end: 12.50 × 9/30 = 3.75.
    const before = ended({ start: "2025-01-01", billingDay: 1, last: "2025-08-01", end: "2025-09-10", receivedOn: "2025-08-20", asOf: "2025-09-01", reads: [teleRead("2025-08-01", { BASE: "700" }), teleRead("2025-09-01", { BASE: "1000" })] });
    const first = ok(dueInvoices(before)).invoices[0]!;
    expect(first.subscriptionPeriod).toEqual({ start: "2025-09-01", end: "2025-09-10" });
    expect(first.lines.filter((l) => l.kind === "subscription").map((l) => l.amount)).toEqual(["3.75"]);
  });

  it("R8 end across the 2025-08-01 VAT change: July days credited at 5.5 %, August days at 20 %; TTC 14.75", () => {
    // Billed on 07-15 [07-15, 08-15); end 2025-07-25 received 07-20.
    // [07-25, 08-01): 12.50 × 7/31 = 2.8226 → −2.82, CTA 4.50 × 7/31 × 21.93 % = 0.22284 → −0.22 (5.5 %);
    // [08-01, 08-15): 12.50 × 14/31 = 5.6452 → −5.65, CTA 4.50 × 14/31 × 21.93 % = 0.44567 → −0.45 (20 %);
    // energy [07-15, 07-25) 100 kWh 17.70, excise 3.37 (20 %).
    // HT 11.93; VAT 5.5 % on −3.04 = −0.1672 → −0.17; VAT 20 % on 14.97 = 2.994 → 2.99; TTC 14.75.
    const c = ended({ start: "2025-01-15", billingDay: 15, last: "2025-07-15", end: "2025-07-25", receivedOn: "2025-07-20", reads: [teleRead("2025-07-15", { BASE: "2000" }), teleRead("2025-07-25", { BASE: "2100" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2025-07-25..2025-08-01", "-2.82", "5.5"],
      ["cta", "2025-07-25..2025-08-01", "-0.22", "5.5"],
      ["subscription", "2025-08-01..2025-08-15", "-5.65", "20"],
      ["cta", "2025-08-01..2025-08-15", "-0.45", "20"],
      ["energy", "2025-07-15..2025-07-25", "17.70", "20"],
      ["excise", "2025-07-15..2025-07-25", "3.37", "20"],
    ]);
    expect(final!.vat.map((g) => [g.rate, g.base, g.amount])).toEqual([["5.5", "-3.04", "-0.17"], ["20", "14.97", "2.99"]]);
    expect(totals(final!)).toEqual(["11.93", "2.82", "14.75"]);
  });
});

describe("R8 · R4 audit — a credit at termination is refunded whatever its size, within 15 days of issue", () => {
  it("R8 a final invoice that is a credit: end 09-02, one day of energy, 29 days credited → TTC −13.10; refunded by issue + 15 (not carried though under 25.00)", () => {
    // credit 12.50 × 29/30 = 12.0833 → −12.08; CTA 4.50 × 29/30 × 21.93 % = 0.953955 → −0.95;
    // energy 10 kWh 1.77, excise 0.337 → 0.34. HT −10.92; VAT −2.184 → −2.18; TTC −13.10.
    const c = ended({ start: "2025-01-01", billingDay: 1, last: "2025-09-01", end: "2025-09-02", receivedOn: "2025-09-02", asOf: "2025-09-03", reads: [teleRead("2025-09-01", { BASE: "1000" }), teleRead("2025-09-02", { BASE: "1010" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(totals(final!)).toEqual(["-10.92", "-2.18", "-13.10"]);
    expect(final!.issueDate).toBe("2025-09-03");
    const s = refundDecision("13.10", final!.issueDate, true);
    expect(s).toMatchObject({ kind: "refund", amountTtc: "13.10", dueDate: "2025-09-18" });
    // The same credit outside a termination is carried forward (under the 25.00 threshold).
    expect(refundDecision("13.10", final!.issueDate, false)).toMatchObject({ kind: "carriedForward", dueDate: null });
  });

  it("R4 example C: 3.00 at termination on an invoice of 2025-03-10 → refund due 2025-03-25; 0.01 too", () => {
    expect(refundDecision("3.00", "2025-03-10", true)).toMatchObject({ kind: "refund", amountTtc: "3.00", dueDate: "2025-03-25" });
    expect(refundDecision("0.01", "2025-12-20", true)).toMatchObject({ kind: "refund", amountTtc: "0.01", dueDate: "2026-01-04" });
  });
});

describe("R8 audit — withdrawal after an early start at the customer's request: owed up to the notice (R1)", () => {
  // Concluded 2025-10-01, deadline 10-16 (a Thursday); supply from 10-03 at the express request, billed on the 3rd.
  it("R8 notice 2025-10-10: in time, the contract ends on the notice date, owed up to it", () => {
    expect(withdrawalDecision({ concludedOn: "2025-10-01", noticeOn: "2025-10-10", supplyStart: "2025-10-03", expressEarlyStart: true })).toMatchObject({ ok: true, deadline: "2025-10-16", end: "2025-10-10", owed: "upToNotice" });
    expect(withdrawalDecision({ concludedOn: "2025-10-01", noticeOn: "2025-10-10", supplyStart: "2025-10-03", expressEarlyStart: false })).toMatchObject({ ok: true, end: "2025-10-03", owed: "nothing" });
  });

  const withdrawn = (billing: { lastBillingDate: string | null; lastIssueDate?: string }) =>
    exampleCase({
      asOf: "2025-10-10",
      contract: { start: "2025-10-03", billingDay: 3, end: "2025-10-10" },
      reads: [teleRead("2025-10-03", { BASE: "1000" }), teleRead("2025-10-10", { BASE: "1063" })],
      events: [{ type: "contractEnd", date: "2025-10-10", reason: "withdrawal", receivedOn: "2025-10-10", requestedBy: "customer" }],
      billing: billing as never,
    });

  it("R8 after the first invoice billed [10-03, 11-03) in advance: the final invoice credits [10-10, 11-03) and bills 63 kWh — TTC 3.36", () => {
    // first invoice: [10-03, 11-01) 12.50 × 29/31 = 11.69, CTA 0.92; [11-01, 11-03) 12.50 × 2/30 = 0.83, CTA 0.07.
    // final: credit [10-10, 11-01) 12.50 × 22/31 = 8.8710 → −8.87, CTA 4.50 × 22/31 × 21.93 % = 0.70035 → −0.70;
    // [11-01, 11-03) −0.83, −0.07; energy 63 kWh × 0.1770 = 11.151 → 11.15; excise 2.1231 → 2.12.
    // HT 2.80; VAT 0.56; TTC 3.36. Net subscription owed 11.69 + 0.83 − 8.87 − 0.83 = 2.82 = 12.50 × 7/31.
    const [final] = ok(dueInvoices(withdrawn({ lastBillingDate: "2025-10-03", lastIssueDate: "2025-10-03" }))).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2025-10-10..2025-11-01", "-8.87", "20"],
      ["cta", "2025-10-10..2025-11-01", "-0.70", "20"],
      ["subscription", "2025-11-01..2025-11-03", "-0.83", "20"],
      ["cta", "2025-11-01..2025-11-03", "-0.07", "20"],
      ["energy", "2025-10-03..2025-10-10", "11.15", "20"],
      ["excise", "2025-10-03..2025-10-10", "2.12", "20"],
    ]);
    expect(totals(final!)).toEqual(["2.80", "0.56", "3.36"]);
    expect(final!.final).toMatchObject({ end: "2025-10-10", reason: "withdrawal" });
  });

  it("R8 nothing issued yet: the start invoice bills [10-03, 10-10) only (2.82 + CTA 0.22), then the final invoice the energy", () => {
    const out = ok(dueInvoices(withdrawn({ lastBillingDate: null })));
    expect(out.invoices.map((i) => i.billingDate)).toEqual(["2025-10-03", "2025-10-10"]);
    expect(lines(out.invoices[0]!)).toEqual([
      ["subscription", "2025-10-03..2025-10-10", "2.82", "20"],
      ["cta", "2025-10-03..2025-10-10", "0.22", "20"],
    ]);
    expect(lines(out.invoices[1]!)).toEqual([
      ["energy", "2025-10-03..2025-10-10", "11.15", "20"],
      ["excise", "2025-10-03..2025-10-10", "2.12", "20"],
    ]);
  });
});

/** K1 (BASE, billed on the 15th from 2025-01-15), billed up to 2025-05-15 in one computation (issued 2025-05-15), 300 kWh a month. */
function billed(): IssuedInvoice[] {
  const days = ["2025-01-15", "2025-02-15", "2025-03-15", "2025-04-15", "2025-05-15"];
  const c = exampleCase({ asOf: "2025-05-15", reads: days.map((d, i) => teleRead(d, { BASE: String(1000 + 300 * i) })) });
  const out = ok(dueInvoices(c));
  return out.invoices.map((document, i) => ({ number: `FA-${i + 1}`, document, storedCase: c }));
}

describe("R5 audit — a correction is a credit note and a new invoice, the difference shown", () => {
  const overBilled = { reads: [{ date: "2025-05-15", register: "BASE" as const, index: "2100", source: "teleRead" as const }], exceptions: [] };

  it("R5 an invoice that over-billed 100 kWh (index 2,200 → 2,100): credit note −FA-5, new invoice 25.28 less; the net credit ≥ 25.00 is refunded", () => {
    // FA-5 energy [04-15, 05-15) 300 kWh: 53.10 + excise 10.11 → 200 kWh: 35.40 + 6.74; HT −21.07;
    // VAT 20 % 63.21 → 12.64, 42.14 → 8.43: −4.21; TTC −25.28. The earlier invoices are unchanged.
    const issued = billed();
    const r = recalculate(issued, overBilled, { requestedOn: "2025-06-10", initiatedBy: "customer" });
    expect(r.map((x) => [x.number, x.status])).toEqual([["FA-1", "unchanged"], ["FA-2", "unchanged"], ["FA-3", "unchanged"], ["FA-4", "unchanged"], ["FA-5", "corrected"]]);
    const fa5 = r[4]!;
    if (fa5.status !== "corrected") throw new Error(fa5.status);
    expect(fa5.totals).toEqual({ ht: "-21.07", vat: "-4.21", ttc: "-25.28" });
    expect(fa5.lines.map((l) => [l.label, l.issued?.amount, l.recomputed?.amount, l.difference])).toEqual([
      ["energy BASE 2025-04-15..2025-05-15", "53.10", "35.40", "-17.70"],
      ["excise BASE 2025-04-15..2025-05-15", "10.11", "6.74", "-3.37"],
    ]);
    const doc = issued[4]!.document;
    const cn = creditNoteFor("FA-5", doc, "2025-06-10", "customer's contest");
    expect(cn.totalTtc).toBe(`-${doc.totalTtc}`);
    expect(doc.lines.length).toBe(cn.lines.length);
    const nw = replacementInvoice(fa5.recomputed, { issueDate: "2025-06-10", replaces: referenceOf("FA-5", doc), creditNote: "AV-1", initiatedBy: "customer", changes: [] });
    expect(nw.correction).toMatchObject({ kind: "replacement", differenceTtc: "-25.28", creditNote: "AV-1", replaces: { number: "FA-5" } });
    expect(nw.dueDate).toBe("2025-06-25");
    // The original invoice is untouched (never edited).
    expect(issued[4]!.document.totalTtc).toBe(doc.totalTtc);
    expect(refundDecision("25.28", "2025-06-10", false)).toMatchObject({ kind: "refund", dueDate: "2025-06-25" });
  });

  it("R5 a customer may contest for 5 years: on 2030-05-15 (5 years after the issue) in time; on 2030-05-16 refused", () => {
    const issued = billed().slice(4);
    expect(recalculate(issued, overBilled, { requestedOn: "2030-05-15", initiatedBy: "customer" })[0]!.status).toBe("corrected");
    const late = recalculate(issued, overBilled, { requestedOn: "2030-05-16", initiatedBy: "customer" })[0]!;
    expect(late).toMatchObject({ status: "refused", rule: "R5 · CGV 6.6" });
  });

  it("R5 a supplier regularisation is limited to 2 years after it knew the facts: knownOn 2025-06-01 → 2027-06-01 in time, 2027-06-02 refused", () => {
    const issued = billed().slice(4);
    const under = { reads: [{ date: "2025-05-15", register: "BASE" as const, index: "2250", source: "teleRead" as const }], exceptions: [] };
    const inTime = recalculate(issued, under, { requestedOn: "2027-06-01", initiatedBy: "supplier", knownOn: "2025-06-01" })[0]!;
    expect(inTime.status).not.toBe("refused");
    const late = recalculate(issued, under, { requestedOn: "2027-06-02", initiatedBy: "supplier", knownOn: "2025-06-01" })[0]!;
    expect(late).toMatchObject({ status: "refused", rule: "R5 · CGV 6.6" });
    expect(late.status === "refused" && late.reason).toMatch(/2 years and 1 day later \(last day 2027-06-01\)/);
  });
});

describe("R5 audit — an under-billing found more than 14 months after the consumption is capped, an over-billing credited", () => {
  // Non-communicating meter; distributor index 0 on 2024-01-10 (a); estimates billed 2,585 kWh evenly up to
  // 2025-06-10 (517 days, 5 kWh/day); the distributor's index of 2025-07-10 (b) is 5,470 (547 days, 10 kWh/day).
  // floor = 2025-07-10 − 14 months = 2024-05-10: 121 days before, 426 after.
  // C_old 1,210, C_new 4,260; E_old 605, E_new 1,980 → regularisation (4,260 − 1,980) + min(0, 1,210 − 605) = 2,280 kWh
  // (uncapped 2,885). Energy 2,280 × 0.1770 = 403.56; excise 2,280 × 0.0337 = 76.836 → 76.84.
  const capped = (billedIndex: string, extra: Record<string, unknown> = {}) =>
    exampleCase({
      asOf: "2025-07-21",
      contract: { start: "2024-01-10", billingDay: 10, communicatingMeter: false, ...extra },
      reads: [
        { date: "2024-01-10", source: "distributorActual", registers: { BASE: "0" } },
        { date: "2025-07-10", source: "distributorActual", registers: { BASE: "5470" }, receivedOn: "2025-07-20" },
      ],
      billing: { lastBillingDate: "2025-06-10", lastIssueDate: "2025-06-10", lastIndexes: { BASE: { index: billedIndex, estimated: true, source: "history", actualReadDate: "2024-01-10" } } },
    });

  it("R5 2,280 kWh billed instead of 2,885: 403.56 + excise 76.84", () => {
    const [inv] = ok(dueInvoices(capped("2585"))).invoices;
    const energy = inv!.lines.filter((l) => l.kind === "energy");
    expect(energy.map((l) => [l.periodStart, l.periodEnd, l.quantity, l.amount])).toEqual([["2025-06-10", "2025-07-10", "2280", "403.56"]]);
    expect(inv!.lines.filter((l) => l.kind === "excise").map((l) => l.amount)).toEqual(["76.84"]);
    expect(energy[0]!.inputs).toMatchObject({ r5Floor: "2024-05-10", r5RegularisationKwh: "2280" });
  });

  it("R5 with fraud recorded the whole catch-up is billed: 2,885 kWh", () => {
    const [inv] = ok(dueInvoices(capped("2585", { regularisationExceptions: [{ kind: "fraud", evidence: "PV-1", recordedOn: "2025-07-15" }] }))).invoices;
    expect(inv!.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["2885"]);
  });

  it("R5 over-billing (6,000 kWh billed by estimates against 5,470 consumed) is credited back in full: −530 kWh", () => {
    const [inv] = ok(dueInvoices(capped("6000"))).invoices;
    expect(inv!.lines.filter((l) => l.kind === "energy").map((l) => [l.quantity, l.amount])).toEqual([["-530", "-93.81"]]);
  });
});

describe("R8 · R5 audit — a late end corrected by credit notes and new invoices", () => {
  it("R8 a switch on 2025-04-20 recorded 2025-06-01: FA-4 re-issued with [04-15, 04-20) only (TTC 89.88 → 78.21), FA-5 replaced by the final invoice of 04-20 (50 kWh pro rata, TTC 12.65); net −89.30", () => {
    // FA-4 issued: [04-15, 05-01) 6.67 + CTA 0.53, [05-01, 05-15) 5.65 + 0.45 (5.5 %: 13.30 → 0.73); energy 53.10 + 10.11 (20 %: 12.64) → TTC 89.88.
    // Re-issued: [04-15, 04-20) 12.50 × 5/30 = 2.08, CTA 4.50 × 5/30 × 21.93 % = 0.164475 → 0.16 (5.5 %: 2.24 → 0.12) → TTC 78.21.
    // FA-5 issued: [05-15, 06-01) 6.85 + 0.54, [06-01, 06-15) 5.83 + 0.46 (5.5 %: 13.68 → 0.75); energy 63.21 (12.64) → TTC 90.28.
    // Final 04-20: no tele-read of the end date → the distributor's pro rata 1,900 + 300 × 5/30 = 1,950: 50 kWh,
    // 8.85 + excise 1.685 → 1.69; VAT 2.108 → 2.11; TTC 12.65.
    const issued = billed().slice(3);
    const r = recalculate(issued, { reads: [], exceptions: [], event: { type: "contractEnd", date: "2025-04-20", reason: "supplierSwitch", receivedOn: "2025-06-01" } },
      { requestedOn: "2025-06-01", initiatedBy: "supplier", knownOn: "2025-06-01" });
    expect(r.map((x) => [x.number, x.status])).toEqual([["FA-4", "corrected"], ["FA-5", "corrected"]]);
    const [fa4, fin] = r as Extract<(typeof r)[number], { recomputed: unknown }>[];
    expect([fa4!.issued.totalTtc, fa4!.recomputed.totalTtc, fa4!.totals.ttc]).toEqual(["89.88", "78.21", "-11.67"]);
    expect(fa4!.recomputed.lines.filter((l) => l.kind === "subscription" || l.kind === "cta").map((l) => [l.periodStart, l.periodEnd, l.amount])).toEqual([
      ["2025-04-15", "2025-04-20", "2.08"], ["2025-04-15", "2025-04-20", "0.16"],
    ]);
    expect(fin!.recomputed).toMatchObject({ billingDate: "2025-04-20", subscriptionPeriod: null, final: { end: "2025-04-20" } });
    expect(fin!.recomputed.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([["energy", "50", "8.85"], ["excise", "50", "1.69"]]);
    expect([fin!.issued.totalTtc, fin!.recomputed.totalTtc, fin!.totals.ttc]).toEqual(["90.28", "12.65", "-77.63"]);
    // Net −89.30: a credit at termination, refunded whatever its size by issue + 15.
    expect(refundDecision("89.30", "2025-06-01", true)).toMatchObject({ kind: "refund", dueDate: "2025-06-16" });
  });
});

describe("R8 audit — more ends after a subscription billed in advance", () => {
  it("R8 billing day 31 (February clamped to the 28th): billed [01-31, 02-28), end 02-15 → [02-15, 02-28) 12.50 × 13/28 = −5.80, CTA −0.46", () => {
    // CTA 4.50 × 13/28 × 21.93 % = 0.458180 → −0.46.
    const c = ended({ start: "2025-01-31", billingDay: 31, last: "2026-01-31", end: "2026-02-15", receivedOn: "2026-02-01", reads: [teleRead("2026-01-31", { BASE: "5000" }), teleRead("2026-02-15", { BASE: "5150" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(lines(final!).slice(0, 2)).toEqual([
      ["subscription", "2026-02-15..2026-02-28", "-5.80", "20"],
      ["cta", "2026-02-15..2026-02-28", "-0.46", "20"],
    ]);
  });

  it("R8 end on 03-01 after [02-15, 03-15) was billed: the March days credited, 12.50 × 14/31 = −5.65, CTA −0.45", () => {
    // CTA 4.50 × 14/31 × 21.93 % = 0.445674 → −0.45; energy [02-15, 03-01) 140 kWh 24.78, excise 4.718 → 4.72.
    // HT 24.78 + 4.72 − 5.65 − 0.45 = 23.40; VAT 4.68; TTC 28.08.
    const c = ended({ start: "2025-01-15", billingDay: 15, last: "2026-02-15", end: "2026-03-01", receivedOn: "2026-02-20", reads: [teleRead("2026-02-15", { BASE: "5000" }), teleRead("2026-03-01", { BASE: "5140" })] });
    const [final] = ok(dueInvoices(c)).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2026-03-01..2026-03-15", "-5.65", "20"],
      ["cta", "2026-03-01..2026-03-15", "-0.45", "20"],
      ["energy", "2026-02-15..2026-03-01", "24.78", "20"],
      ["excise", "2026-02-15..2026-03-01", "4.72", "20"],
    ]);
    expect(totals(final!)).toEqual(["23.40", "4.68", "28.08"]);
  });
});
