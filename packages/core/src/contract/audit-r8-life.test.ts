/**
 * R8 — contract life audit (withdrawal CGV 3.6, termination CGV 10.1/10.3) with R1's subscription in
 * advance around it: independent cases hand-computed from RULES.md, on the real core functions.
 *
 * The example contract (testing/example-case.ts): 6 kVA BASE, subscription 8.00 supply + 4.50 network
 * = 12.50 €/month HT, CTA 21.93 % of the 4.50 network part, kWh 0.1770, excise 33.70 €/MWh; subscription
 * and CTA at 5.5 % until 2025-07-31, everything at 20 % from 2025-08-01.
 */
import { describe, expect, it } from "vitest";
import { withdrawalDeadline, withdrawalDecision } from "./withdrawal.ts";
import { terminationEnd } from "./termination.ts";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";

describe("R8 · CGV 3.6 audit — withdrawal deadlines on every kind of holiday", () => {
  // deadline = conclusion + 15, moved to the next Mon–Fri that is not a holiday of the department.
  const cases: [string, string | undefined, string, string][] = [
    ["2025-04-16", undefined, "2025-05-02", "05-01 (Thu, Fête du travail) → Fri 05-02"],
    ["2025-04-23", undefined, "2025-05-09", "05-08 (Thu, Victoire 1945) → Fri 05-09"],
    ["2025-06-29", undefined, "2025-07-15", "07-14 (Mon, Fête nationale) → Tue 07-15"],
    ["2025-07-31", undefined, "2025-08-18", "08-15 (Fri, Assomption), Sat, Sun → Mon 08-18"],
    ["2025-10-17", undefined, "2025-11-03", "11-01 (Sat, Toussaint), Sun → Mon 11-03"],
    ["2025-10-27", undefined, "2025-11-12", "11-11 (Tue, Armistice) → Wed 11-12"],
    ["2025-12-10", "75", "2025-12-26", "12-25 (Thu, Noël) → Fri 12-26"],
    ["2025-12-10", "57", "2025-12-29", "12-25 (Thu), 12-26 (Saint-Étienne in Moselle), Sat, Sun → Mon 12-29"],
    ["2025-05-25", undefined, "2025-06-10", "06-09 (Whit Monday 2025 = Easter 04-20 + 50) → Tue 06-10"],
    ["2025-04-03", "13", "2025-04-18", "Good Friday 04-18 is a business day outside Alsace-Moselle"],
    ["2025-04-03", "68", "2025-04-22", "Good Friday 04-18 (68), Sat, Sun, Easter Monday 04-21 → Tue 04-22"],
    ["2025-04-05", undefined, "2025-04-22", "Easter Sunday 04-20, Easter Monday → Tue 04-22"],
    ["2025-12-17", undefined, "2026-01-02", "2026-01-01 (Thu, Jour de l'an) → Fri 01-02"],
    ["2026-04-16", undefined, "2026-05-04", "05-01 (Fri), Sat, Sun → Mon 05-04"],
    ["2026-04-23", undefined, "2026-05-11", "05-08 (Fri), Sat, Sun → Mon 05-11"],
    ["2026-04-29", undefined, "2026-05-15", "05-14 (Ascension 2026 = Easter 04-05 + 39) → Fri 05-15"],
    ["2026-05-10", undefined, "2026-05-26", "05-25 (Whit Monday 2026) → Tue 05-26"],
    ["2026-07-31", undefined, "2026-08-17", "08-15 (Sat), Sun → Mon 08-17"],
    ["2026-12-10", "67", "2026-12-28", "12-25 (Fri), 12-26 (Sat; also Saint-Étienne), Sun → Mon 12-28 in both calendars"],
    ["2026-12-10", undefined, "2026-12-28", "12-25 (Fri), Sat, Sun → Mon 12-28"],
    ["2027-03-11", "57", "2027-03-30", "Good Friday 2027-03-26 (Easter 03-28), Sat, Sun, Easter Monday → Tue 03-30"],
    ["2027-03-11", "2A", "2027-03-26", "Corsica is metropolitan: Good Friday is a business day"],
    ["2025-12-12", "57", "2025-12-29", "12-27 (Sat), Sun → Mon 12-29"],
  ];
  for (const [concluded, dep, deadline, why] of cases) {
    it(`R8 concluded ${concluded}${dep ? ` (department ${dep})` : ""} → ${deadline}: ${why}`, () => {
      expect(withdrawalDeadline(concluded, dep)).toBe(deadline);
    });
  }

  it("R8 a moved deadline: notice on Saturday 08-16 or on Monday 08-18 is in time, Tuesday 08-19 is refused (concluded 2025-07-31)", () => {
    const w = { concludedOn: "2025-07-31", supplyStart: "2025-08-05", expressEarlyStart: true };
    expect(withdrawalDecision({ ...w, noticeOn: "2025-08-16" })).toMatchObject({ ok: true, end: "2025-08-16", owed: "upToNotice" });
    expect(withdrawalDecision({ ...w, noticeOn: "2025-08-18" })).toMatchObject({ ok: true, deadline: "2025-08-18", end: "2025-08-18" });
    expect(withdrawalDecision({ ...w, noticeOn: "2025-08-19" })).toMatchObject({ ok: false, deadline: "2025-08-18" });
  });
});

describe("R8 · CGV 10.1 audit — termination end", () => {
  it("R8 asked 45 days after the notice: capped at notice + 30 (notice 2025-11-20, asked 2026-01-04 → 2025-12-20)", () => {
    expect(terminationEnd({ reason: "termination", askedEnd: "2026-01-04", noticeOn: "2025-11-20" })).toMatchObject({ ok: true, end: "2025-12-20", capped: true });
  });
  it("R8 asked for the notice day itself: ends that day (nothing of it billed)", () => {
    expect(terminationEnd({ reason: "moveOut", askedEnd: "2025-11-20", noticeOn: "2025-11-20" })).toMatchObject({ ok: true, end: "2025-11-20", capped: false });
  });
});

const lines = (i: Invoice) => i.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount, l.vatRate]);
const totals = (i: Invoice) => [i.totalHt, i.totalVat, i.totalTtc];
const ok = (out: ReturnType<typeof dueInvoices>) => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out;
};

describe("R8 · R1 audit — an end on the day a price or VAT regime changes", () => {
  // Billed on the 15th; the last invoice of 07-15 (issued that day) billed [07-15, 08-01) at 5.5 % and
  // [08-01, 08-15) at 20 %. An end on 2025-08-01 received 07-20, after it.
  const endAugust = (receivedOn: string, lastIssue: string | null) =>
    exampleCase({
      asOf: "2025-08-01",
      contract: { start: "2025-01-15", billingDay: 15, end: "2025-08-01" },
      reads: [teleRead("2025-07-15", { BASE: "1000" }), teleRead("2025-08-01", { BASE: "1170" })],
      events: [{ type: "contractEnd", date: "2025-08-01", reason: "termination", receivedOn, requestedBy: "customer" }],
      billing: lastIssue ? { lastBillingDate: "2025-07-15", lastIssueDate: lastIssue } : { lastBillingDate: "2025-07-15" },
    });

  it("R8 end on 2025-08-01 learned after the 07-15 invoice: the August days credited at 20 % (−5.65, CTA −0.45), July's energy — TTC 35.66", () => {
    // credit [08-01, 08-15): 12.50 × 14/31 = 5.6452 → −5.65; CTA 4.50 × 14/31 × 21.93 % = 0.44568 → −0.45 (20 %).
    // energy [07-15, 08-01): 170 kWh × 0.1770 = 30.09; excise 170 × 0.0337 = 5.729 → 5.73.
    // HT −5.65 − 0.45 + 30.09 + 5.73 = 29.72; VAT 20 % 5.944 → 5.94; TTC 35.66.
    const [final] = ok(dueInvoices(endAugust("2025-07-20", "2025-07-15"))).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2025-08-01..2025-08-15", "-5.65", "20"],
      ["cta", "2025-08-01..2025-08-15", "-0.45", "20"],
      ["energy", "2025-07-15..2025-08-01", "30.09", "20"],
      ["excise", "2025-07-15..2025-08-01", "5.73", "20"],
    ]);
    expect(totals(final!)).toEqual(["29.72", "5.94", "35.66"]);
  });

  it("R8 the same end known to the 07-15 invoice (received 07-10): nothing credited — TTC 42.98", () => {
    // energy 30.09 + excise 5.73 = HT 35.82; VAT 7.164 → 7.16; TTC 42.98. (No subscription line.)
    const [final] = ok(dueInvoices(endAugust("2025-07-10", "2025-07-15"))).invoices;
    expect(lines(final!).map((l) => l[0])).toEqual(["energy", "excise"]);
    expect(totals(final!)).toEqual(["35.82", "7.16", "42.98"]);
  });

  // The supply part of the subscription rises from 8.00 to 9.00 on 2025-09-01 (12.50 → 13.50 a month).
  const priceRise = (end: string, endRead: string) =>
    exampleCase({
      asOf: end,
      contract: { start: "2025-01-15", billingDay: 15, end },
      offer: {
        id: "O1", name: "Test offer", capacity: "included",
        subscription: [
          { from: "2020-01-01", to: "2025-09-01", priceOption: "BASE", kva: 6, monthlyHt: "8.00" },
          { from: "2025-09-01", priceOption: "BASE", kva: 6, monthlyHt: "9.00" },
        ],
        energy: [{ from: "2020-01-01", priceOption: "BASE", register: "BASE", priceHt: "0.1370" }],
      },
      reads: [teleRead("2025-08-15", { BASE: "1000" }), teleRead(end, { BASE: endRead })],
      events: [{ type: "contractEnd", date: end, reason: "supplierSwitch", receivedOn: "2025-08-18", requestedBy: "newSupplier" }],
      billing: { lastBillingDate: "2025-08-15", lastIssueDate: "2025-08-15" },
    });

  it("R8 a switch on 2025-09-01, the day the price rises, learned after the 08-15 invoice: September's days credited at the new price 13.50 × 14/30 = −6.30 — TTC 34.87", () => {
    // credit [09-01, 09-15): 13.50 × 14/30 = 6.30; CTA 4.50 × 14/30 × 21.93 % = 0.46053 → −0.46.
    // energy [08-15, 09-01): 170 kWh: 30.09; excise 5.73. HT 29.06; VAT 5.812 → 5.81; TTC 34.87.
    const [final] = ok(dueInvoices(priceRise("2025-09-01", "1170"))).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2025-09-01..2025-09-15", "-6.30", "20"],
      ["cta", "2025-09-01..2025-09-15", "-0.46", "20"],
      ["energy", "2025-08-15..2025-09-01", "30.09", "20"],
      ["excise", "2025-08-15..2025-09-01", "5.73", "20"],
    ]);
    expect(totals(final!)).toEqual(["29.06", "5.81", "34.87"]);
  });

  it("R8 a switch on 2025-08-20: both sub-periods credited, each at its price — a credit TTC −1.73 (refunded, R4)", () => {
    // credit [08-20, 09-01): 12.50 × 12/31 = 4.8387 → −4.84; CTA 4.50 × 12/31 × 21.93 % = 0.38201 → −0.38;
    // credit [09-01, 09-15): −6.30, CTA −0.46; energy [08-15, 08-20) 50 kWh: 8.85; excise 1.685 → 1.69.
    // HT −4.84 − 0.38 − 6.30 − 0.46 + 8.85 + 1.69 = −1.44; VAT −0.288 → −0.29; TTC −1.73.
    const [final] = ok(dueInvoices(priceRise("2025-08-20", "1050"))).invoices;
    expect(lines(final!).map((l) => l.slice(0, 3))).toEqual([
      ["subscription", "2025-08-20..2025-09-01", "-4.84"],
      ["cta", "2025-08-20..2025-09-01", "-0.38"],
      ["subscription", "2025-09-01..2025-09-15", "-6.30"],
      ["cta", "2025-09-01..2025-09-15", "-0.46"],
      ["energy", "2025-08-15..2025-08-20", "8.85"],
      ["excise", "2025-08-15..2025-08-20", "1.69"],
    ]);
    expect(totals(final!)).toEqual(["-1.44", "-0.29", "-1.73"]);
  });
});
