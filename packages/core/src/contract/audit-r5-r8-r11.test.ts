/**
 * R5, R8, R11 — independent cases hand-computed from RULES.md (audit): the 14-month floor on month
 * ends and a leap day, reads after the floor, over-billing credited, exceptions; withdrawal deadlines
 * around every holiday with the Alsace-Moselle calendar and chains of moves; termination at most 30
 * days after notice; the final index's order; the housing deposit around its jumps, half-up cents and
 * MA; rebate and VAT per item rate; the producer's 14 jours francs.
 */
import { describe, expect, it } from "vitest";
import { backBillingCap, capFloor } from "../consumption/back-billing-cap.ts";
import { contribution } from "../connection/contribution.ts";
import { housingProgrammeDeposit } from "../connection/housing-programme-deposit.ts";
import { withdrawalPeriod } from "../connection/withdrawal-period.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { dec, formatForDisplay, formatRatio, ratio, ratioValue } from "../primitives/money.ts";
import { exampleCase } from "../testing/example-case.ts";
import { reversedChange } from "./power-change.ts";
import { terminationEnd } from "./termination.ts";
import { withdrawalDeadline, withdrawalDecision } from "./withdrawal.ts";

const kwh2 = (r: Parameters<typeof ratioValue>[0]) => formatForDisplay(ratioValue(r), 2);
const read = (date: string, index: string) => ({ date, index: dec(index) });

describe("R5 audit — the 14-month cap", () => {
  it("R5 the floor is b − 14 months clamped to the month's end: 2025-04-30 → 2024-02-29, 2025-03-31 → 2024-01-31, 2024-02-29 → 2022-12-29, 2025-02-28 → 2023-12-28, 2026-04-30 → 2025-02-28", () => {
    expect(capFloor("2025-04-30")).toBe("2024-02-29");
    expect(capFloor("2025-03-31")).toBe("2024-01-31");
    expect(capFloor("2024-02-29")).toBe("2022-12-29");
    expect(capFloor("2025-02-28")).toBe("2023-12-28");
    expect(capFloor("2026-04-30")).toBe("2025-02-28");
    expect(capFloor("2025-12-31")).toBe("2024-10-31");
    expect(capFloor("2026-01-01")).toBe("2024-11-01");
  });

  it("R5 example D exactly: 2,926.94 kWh capped, 6,060 uncapped and 6,060 with either exception", () => {
    const D = { a: read("2023-01-10", "0"), b: read("2025-06-10", "9000"), billed: { kwh: ratio(dec("2940")), upTo: "2025-06-10" } };
    const cap = backBillingCap({ ...D, exceptions: [] });
    expect(cap.floor).toBe("2024-04-10");
    expect([kwh2(cap.consumptionOld), kwh2(cap.consumptionNew), formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["4653.06", "4346.94", "1520", "1420"]);
    expect(kwh2(cap.regularisation)).toBe("2926.94");
    expect(formatRatio(cap.uncapped)).toBe("6060");
    for (const kind of ["registeredLetter", "fraud"] as const) {
      const c = backBillingCap({ ...D, exceptions: [{ kind, evidence: "X", recordedOn: "2025-06-10" }] });
      expect(formatRatio(c.regularisation)).toBe("6060");
      expect(c.exception?.kind).toBe(kind);
    }
  });

  it("R5 b on 2025-04-30 (floor on the leap day 2024-02-29): a 2024-01-31, 455 days, 29 before the floor; C 455, nothing billed → 426 kWh", () => {
    const cap = backBillingCap({ a: read("2024-01-31", "1000"), b: read("2025-04-30", "1455"), billed: { kwh: ratio(dec("0")), upTo: "2024-01-31" }, exceptions: [] });
    expect(cap.floor).toBe("2024-02-29");
    expect(formatRatio(cap.consumptionOld)).toBe("29");
    expect(formatRatio(cap.regularisation)).toBe("426");
    expect(formatRatio(cap.notBilled)).toBe("29");
    expect(formatRatio(cap.uncapped)).toBe("455");
  });

  it("R5 b on 2025-03-31 (floor 2024-01-31): a 2024-01-01, 455 days (30 old), C 910, E 100 evenly → (850 − 8,500/91) = 68,850/91 kWh; uncapped 810", () => {
    const cap = backBillingCap({ a: read("2024-01-01", "0"), b: read("2025-03-31", "910"), billed: { kwh: ratio(dec("100")), upTo: "2025-03-31" }, exceptions: [] });
    expect(cap.floor).toBe("2024-01-31");
    expect([formatRatio(cap.consumptionOld), formatRatio(cap.consumptionNew)]).toEqual(["60", "850"]);
    expect([formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["600/91", "8500/91"]);
    expect(formatRatio(cap.regularisation)).toBe("68850/91");
    expect(formatRatio(cap.uncapped)).toBe("810");
  });

  it("R5 reads entirely after the floor: no cap, an over-billing credited in full (C 3,000, E 3,500 → −500)", () => {
    const cap = backBillingCap({ a: read("2024-06-01", "0"), b: read("2025-06-10", "3000"), billed: { kwh: ratio(dec("3500")), upTo: "2025-06-10" }, exceptions: [] });
    expect(formatRatio(cap.consumptionOld)).toBe("0");
    expect(formatRatio(cap.regularisation)).toBe("-500");
    expect(formatRatio(cap.notBilled)).toBe("0");
    const under = backBillingCap({ a: read("2024-06-01", "0"), b: read("2025-06-10", "3000"), billed: { kwh: ratio(dec("1000")), upTo: "2025-06-10" }, exceptions: [] });
    expect(formatRatio(under.regularisation)).toBe("2000");
  });

  it("R5 estimates that over-billed the old part are credited (min(0, …)): E 5,000 all before the floor → 4,346.94 + (4,653.06 − 5,000) = 4,000 kWh", () => {
    const cap = backBillingCap({ a: read("2023-01-10", "0"), b: read("2025-06-10", "9000"), billed: { kwh: ratio(dec("5000")), upTo: "2024-04-10" }, exceptions: [] });
    expect([formatRatio(cap.billedOld), formatRatio(cap.billedNew)]).toEqual(["5000", "0"]);
    expect(formatRatio(cap.regularisation)).toBe("4000");
    expect(formatRatio(cap.notBilled)).toBe("0");
  });

  it("R5 over-billed everywhere (E 10,000 evenly against C 9,000): −1,000 kWh credited, with or without an exception", () => {
    const base = { a: read("2023-01-10", "0"), b: read("2025-06-10", "9000"), billed: { kwh: ratio(dec("10000")), upTo: "2025-06-10" } };
    expect(formatRatio(backBillingCap({ ...base, exceptions: [] }).regularisation)).toBe("-1000");
    expect(formatRatio(backBillingCap({ ...base, exceptions: [{ kind: "fraud", evidence: "F", recordedOn: "2025-06-10" }] }).regularisation)).toBe("-1000");
  });

  it("R5 estimates billed up to a day before b (2025-01-10): E 2,000 over [a, 2025-01-10) (731 days, 456 old) — new part C_new − E × 275/731", () => {
    const cap = backBillingCap({ a: read("2023-01-10", "0"), b: read("2025-06-10", "9000"), billed: { kwh: ratio(dec("2000")), upTo: "2025-01-10" }, exceptions: [] });
    // E_old = 2000 × 456/731 = 912000/731, E_new = 2000 × 275/731 = 550000/731; C_new = 9000 × 426/882 = 213000/49.
    expect(formatRatio(cap.billedOld)).toBe("912000/731");
    expect(formatRatio(cap.billedNew)).toBe("550000/731");
    // 213000/49 − 550000/731 = (213000 × 731 − 550000 × 49)/35819 = 128753000/35819
    expect(formatRatio(cap.regularisation)).toBe("128753000/35819");
  });
});

describe("R8 audit — withdrawal deadline (15 days from the day after conclusion, moved to a business day)", () => {
  it.each([
    // [concluded, department, deadline]
    ["2025-04-06", undefined, "2025-04-22"], // 04-21 Easter Monday
    ["2025-05-14", undefined, "2025-05-30"], // 05-29 Ascension
    ["2025-12-11", undefined, "2025-12-26"],
    ["2025-12-11", "57", "2025-12-29"], // 26 Dec (AM), Sat, Sun
    ["2025-04-03", undefined, "2025-04-18"], // Good Friday: not a holiday in the metropolitan calendar
    ["2025-04-03", "68", "2025-04-22"], // Good Friday, Sat, Sun, Easter Monday
    ["2025-05-25", undefined, "2025-06-10"], // 06-09 Whit Monday
    ["2025-05-23", undefined, "2025-06-10"], // Sat 06-07 → Sun → Whit Monday → Tue
    ["2025-06-27", undefined, "2025-07-15"], // Sat 07-12 → Sun → 14 July (Mon) → Tue
    ["2025-07-31", undefined, "2025-08-18"], // 15 Aug (Fri) → Sat, Sun → Mon
    ["2025-10-17", undefined, "2025-11-03"], // 1 Nov (Sat) → Sun → Mon
    ["2025-10-27", undefined, "2025-11-12"], // 11 Nov (Tue)
    ["2025-12-10", undefined, "2025-12-26"], // Christmas (Thu) → Fri
    ["2025-12-10", "67", "2025-12-29"], // Christmas → 26 (AM) → Sat, Sun → Mon
    ["2025-12-17", undefined, "2026-01-02"], // New Year (Thu) → Fri
    ["2025-12-16", undefined, "2025-12-31"], // a Wednesday: unmoved
    ["2026-04-16", undefined, "2026-05-04"], // 1 May 2026 (Fri) → Mon
    ["2026-04-23", undefined, "2026-05-11"], // 8 May 2026 (Fri) → Mon
    ["2026-04-29", undefined, "2026-05-15"], // 05-14 Ascension 2026
    ["2026-05-10", undefined, "2026-05-26"], // 05-25 Whit Monday 2026
    ["2026-12-10", "57", "2026-12-28"], // 25 Dec 2026 (Fri), 26 Sat, Sun
    ["2027-03-11", undefined, "2027-03-26"], // Good Friday 2027 kept
    ["2027-03-11", "67", "2027-03-30"], // Good Friday, Sat, Sun, Easter Monday 2027
    ["2024-12-10", "68", "2024-12-27"], // Christmas 2024 (Wed), 26 (Thu, AM) → Fri
    ["2024-06-29", undefined, "2024-07-15"], // 14 July 2024 is a Sunday → Mon 15
    ["2024-07-31", undefined, "2024-08-16"], // 15 Aug 2024 (Thu) → Fri
  ])("R8 concluded %s (department %s) → deadline %s", (concluded, dep, deadline) => {
    expect(withdrawalDeadline(concluded, dep)).toBe(deadline);
  });

  it("R8 a notice on the deadline is in time; the day after is refused (a termination instead)", () => {
    const base = { concludedOn: "2025-04-06", supplyStart: "2025-04-10", expressEarlyStart: true } as const;
    const onTime = withdrawalDecision({ ...base, noticeOn: "2025-04-22" });
    expect(onTime).toMatchObject({ ok: true, deadline: "2025-04-22", end: "2025-04-22", owed: "upToNotice" });
    expect(withdrawalDecision({ ...base, noticeOn: "2025-04-23" })).toMatchObject({ ok: false, deadline: "2025-04-22" });
    // Alsace-Moselle 2025-12-11: the 29th is in time there only.
    const am = { concludedOn: "2025-12-11", supplyStart: "2025-12-20", expressEarlyStart: false, noticeOn: "2025-12-29" };
    expect(withdrawalDecision({ ...am, department: "57" }).ok).toBe(true);
    expect(withdrawalDecision({ ...am, department: "75" }).ok).toBe(false);
  });
});

describe("R8 audit — termination at most 30 days after notice", () => {
  it("R8 notice 2025-01-15: asked 2025-02-14 kept (30 days), 2025-02-15 capped at 2025-02-14, none asked → 2025-02-14", () => {
    expect(terminationEnd({ reason: "termination", noticeOn: "2025-01-15", askedEnd: "2025-02-14" })).toMatchObject({ ok: true, end: "2025-02-14", capped: false });
    expect(terminationEnd({ reason: "termination", noticeOn: "2025-01-15", askedEnd: "2025-02-15" })).toMatchObject({ ok: true, end: "2025-02-14", capped: true });
    expect(terminationEnd({ reason: "termination", noticeOn: "2025-01-15" })).toMatchObject({ ok: true, end: "2025-02-14" });
  });
  it("R8 across a leap February: notice 2024-02-10 → at most 2024-03-11; a switch ends on the new supplier's start date", () => {
    expect(terminationEnd({ reason: "moveOut", noticeOn: "2024-02-10", askedEnd: "2024-04-01" })).toMatchObject({ ok: true, end: "2024-03-11", capped: true });
    expect(terminationEnd({ reason: "supplierSwitch", noticeOn: "2024-02-10", askedEnd: "2024-02-20" })).toMatchObject({ ok: true, end: "2024-02-20" });
  });
});

describe("R8 audit — final index order (tele-read, special read, self-read of the end date, distributor pro-rata estimate)", () => {
  // Non-communicating meter; end 2026-02-03; a self-read of that day (5,185) and distributor reads on
  // 2026-01-15 (5,000) and 2026-02-13 (5,300) after the end: the self-read (3) comes before the
  // distributor's pro-rata estimate between its reads (4).
  const ended = (extra: { specialRead?: boolean; withSelf?: boolean } = {}) =>
    exampleCase({
      asOf: "2026-02-14",
      contract: { start: "2025-01-15", end: "2026-02-03", communicatingMeter: false },
      reads: [
        { date: "2026-01-15", source: "distributorActual", registers: { BASE: "5000" } },
        ...(extra.withSelf === false ? [] : [{ date: "2026-02-03", source: "selfRead" as const, registers: { BASE: "5185" }, receivedOn: "2026-02-04" }]),
        { date: "2026-02-13", source: "distributorActual", registers: { BASE: "5300" }, receivedOn: "2026-02-14" },
      ],
      events: [{ type: "contractEnd", date: "2026-02-03", reason: "termination", receivedOn: "2026-01-10", requestedBy: "customer", specialRead: extra.specialRead ?? false }],
      billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
    });

  it("R8 a self-read of the end date wins over the distributor's pro-rata estimate between reads around the end", () => {
    const out = dueInvoices(ended());
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.consumption).toMatchObject({ source: "selfRead" });
    expect(inv.indexes.at(-1)).toMatchObject({ date: "2026-02-03", index: "5185" });
  });

  it("R8 engine 0.3.1 issued the interpolation first (ruleset finalSelfReadFirst false): its final invoices replay as issued", () => {
    const out = dueInvoices(ended(), { engineVersion: "0.3.1" });
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.consumption).toMatchObject({ source: "actualReads" });
    expect(inv.lines.find((l) => l.kind === "energy")!.quantity).toBe(formatForDisplay(dec(300 * 19).dividedBy(29), 12));
  });

  it("R8 without a self-read the distributor's pro-rata estimate between its reads gives the final index (5,000 + 300 × 19/29)", () => {
    const out = dueInvoices(ended({ withSelf: false }));
    if (!out.ok) throw new Error(out.failure.message);
    const inv = out.invoices[0]!;
    expect(inv.consumption!.source).toBe("actualReads");
    expect(inv.lines.find((l) => l.kind === "energy")!.quantity).toBe(formatForDisplay(dec(300 * 19).dividedBy(29), 12));
  });
});

describe("R8 audit — power change reversing one less than a year before", () => {
  const c = (earlierDate: string) =>
    exampleCase({
      contract: { start: "2024-01-15" },
      events: [
        { type: "powerChange", date: earlierDate, subscribedKva: 9, receivedOn: "2024-01-20" },
        { type: "powerChange", date: "2026-02-01", subscribedKva: 6, receivedOn: "2026-01-10" },
      ] as never,
    });
  it("R8 an increase 2025-02-02 then a decrease 2026-02-01 (364 days): reversed; 2025-02-01 (one year): not", () => {
    expect(reversedChange(c("2025-02-02"), { date: "2026-02-01", subscribedKva: 6 })?.date).toBe("2025-02-02");
    expect(reversedChange(c("2025-02-01"), { date: "2026-02-01", subscribedKva: 6 })).toBeNull();
  });
});

describe("R11 audit — housing-programme deposit", () => {
  it.each([
    // [C, MA, deposit, carried]
    ["2000.00", "0", "2000.00", "0.00"],
    ["2000.01", "0", "1000.01", "0.00"], // 1,000.005 half-up
    ["1999.99", "0", "1999.99", "0.00"],
    ["10000.00", "0", "5000.00", "0.00"],
    ["10000.01", "0", "5000.00", "0.00"], // 5,000.003
    ["10000.02", "0", "5000.01", "0.00"], // 5,000.006
    ["10000.05", "0", "5000.02", "0.00"], // 5,000.015 half-up
    ["3000.01", "0", "1500.01", "0.00"], // 1,500.005 half-up
    ["150000.00", "0", "47000.00", "0.00"],
    ["150000.01", "0", "48000.00", "0.00"], // 48,000.0005
    ["150000.10", "0", "48000.01", "0.00"], // 48,000.005 half-up
    ["250000.00", "0", "53000.00", "0.00"],
    ["50000.00", "2500.00", "14500.00", "0.00"], // 5,000 + 12,000 − 2,500
    ["2000.01", "1500.00", "0.00", "499.99"], // MA above the formula → 0
    ["1000.00", "1000.00", "0.00", "0.00"],
    ["150000.01", "48000.00", "0.00", "0.00"],
    ["150000.00", "48000.00", "0.00", "1000.00"],
  ])("R11 C %s, MA %s → deposit %s (carried %s)", (c, ma, deposit, carried) => {
    const d = housingProgrammeDeposit(c, ma);
    expect([d.deposit, d.carriedToFinalInvoice]).toEqual([deposit, carried]);
  });
});

describe("R11 audit — contribution: rebate per item, VAT per item rate", () => {
  it("R11 three items at 20 / 5.5 / 10 %: HT 1,621.55, rebates 548.62, MT 1,072.93, VAT 177.67, C 1,250.60", () => {
    const c = contribution([
      { label: "A", quantity: "1", unitPriceHt: "1234.56", rebatePct: "40", vatPct: "20" }, // 493.824 → 493.82; 740.74; VAT 148.148 → 148.15
      { label: "B", quantity: "3", unitPriceHt: "45.67", rebatePct: "40", vatPct: "5.5" }, // 137.01; 54.804 → 54.80; 82.21; VAT 4.52155 → 4.52
      { label: "C", quantity: "2.5", unitPriceHt: "99.99", rebatePct: "0", vatPct: "10" }, // 249.975 → 249.98; VAT 24.998 → 25.00
    ]);
    expect(c.items.map((i) => [i.amountHt, i.rebate, i.rebatedHt])).toEqual([
      ["1234.56", "493.82", "740.74"],
      ["137.01", "54.80", "82.21"],
      ["249.98", "0.00", "249.98"],
    ]);
    expect([c.totalHtBeforeRebate, c.totalRebate, c.totalHt]).toEqual(["1621.55", "548.62", "1072.93"]);
    expect(c.vatGroups.map((g) => [g.vatPct, g.vat])).toEqual([["5.5", "4.52"], ["10", "25.00"], ["20", "148.15"]]);
    expect([c.totalVat, c.contributionTtc]).toEqual(["177.67", "1250.60"]);
  });
});

describe("R11 audit — producer withdrawal: 14 jours francs", () => {
  it.each([
    // [paidOn, sentOn, department, acceptedOn, lastDay]
    ["2025-04-02", "2025-04-01", undefined, "2025-04-02", "2025-04-17"],
    ["2025-04-01", "2025-04-03", undefined, "2025-04-03", "2025-04-18"], // Good Friday kept
    ["2025-04-01", "2025-04-03", "57", "2025-04-03", "2025-04-22"], // Good Friday, weekend, Easter Monday
    ["2025-04-06", "2025-04-06", undefined, "2025-04-06", "2025-04-22"], // Easter Monday
    ["2025-07-31", "2025-07-30", undefined, "2025-07-31", "2025-08-18"], // 15 Aug (Fri), weekend
    ["2025-06-29", "2025-06-29", undefined, "2025-06-29", "2025-07-15"], // 14 July (Mon)
    ["2025-12-17", "2025-12-10", undefined, "2025-12-17", "2026-01-02"], // New Year
    ["2025-10-27", "2025-10-20", undefined, "2025-10-27", "2025-11-12"], // 11 Nov
    ["2025-12-10", "2025-12-10", "67", "2025-12-10", "2025-12-29"], // Christmas, 26 Dec (AM), weekend
  ])("R11 paid %s, sent %s (department %s): accepted %s, last day %s", (paidOn, sentOn, dep, accepted, last) => {
    const w = withdrawalPeriod({ paidOn, agreementSentOn: sentOn }, dep);
    expect([w.acceptedOn, w.lastDay]).toEqual([accepted, last]);
  });
});
