// Black-box cases for R8 (withdrawal and termination dates), R9 (same-day requests, long outages,
// missed appointments) and R10 (the unpaid-bill steps), written from RULES.md and the documented
// entry points only (docs/contract-life.md, docs/distributor.md, docs/dunning.md, the public exports
// of @billing/core). Each figure is computed by hand in its test's name or comment.
import { describe, expect, it } from "vitest";
import { distributor, nextDunningStep, ORDINARY_SITUATION, terminationEnd, withdrawalDeadline, withdrawalDecision, type RecordedDunningStep } from "@billing/core";

describe("R8 withdrawal deadline: conclusion + 15, moved to the next business day of the department", () => {
  it.each([
    // concluded, department, deadline — why
    ["2025-05-24", undefined, "2025-06-10"], // + 15 = Sun 06-08, Mon 06-09 Whit Monday → Tue
    ["2026-03-21", undefined, "2026-04-07"], // + 15 = Easter Sunday 04-05, Easter Monday 04-06 → Tue
    ["2026-03-19", "75", "2026-04-03"], // + 15 = Good Friday: a business day in Paris
    ["2026-03-19", "57", "2026-04-07"], // … a holiday in Moselle → Sat, Sun, Easter Monday → Tue
    ["2024-12-10", undefined, "2024-12-26"], // + 15 = Christmas (Wed) → Thu 12-26
    ["2024-12-10", "68", "2024-12-27"], // Haut-Rhin: 26 December too → Fri 12-27
    ["2026-12-17", undefined, "2027-01-04"], // + 15 = 1 January (Fri) → Mon
    ["2026-07-31", undefined, "2026-08-17"], // + 15 = 15 August (Sat) → Mon 08-17
    ["2026-10-17", undefined, "2026-11-02"], // + 15 = All Saints' (Sun) → Mon 11-02
  ])("concluded %s (department %s) → deadline %s", (concluded, department, deadline) => {
    expect(withdrawalDeadline(concluded, department)).toBe(deadline);
  });

  it("early start at the customer's request: a notice on the moved deadline is in time and ends the contract that day; the day after is refused", () => {
    const base = { concludedOn: "2026-03-21", supplyStart: "2026-03-25", expressEarlyStart: true };
    expect(withdrawalDecision({ ...base, noticeOn: "2026-04-07" })).toMatchObject({ ok: true, end: "2026-04-07", owed: "upToNotice" });
    expect(withdrawalDecision({ ...base, noticeOn: "2026-04-08" })).toMatchObject({ ok: false, deadline: "2026-04-07" });
  });
});

describe("R8 termination at most 30 days after notice", () => {
  it("notice 2026-01-31: 30 days → 2026-03-02; asked 03-02 kept, 03-03 capped, none asked → 03-02", () => {
    expect(terminationEnd({ reason: "termination", noticeOn: "2026-01-31", askedEnd: "2026-03-02" })).toMatchObject({ end: "2026-03-02", capped: false });
    expect(terminationEnd({ reason: "termination", noticeOn: "2026-01-31", askedEnd: "2026-03-03" })).toMatchObject({ end: "2026-03-02", capped: true });
    expect(terminationEnd({ reason: "moveOut", noticeOn: "2026-01-31" })).toMatchObject({ end: "2026-03-02", capped: false });
  });
});

describe("R9 same-day requests (seed 000): 21:00 and 15:00 compared as times", () => {
  const req = (kind: "activation" | "restoration", option: "standard" | "sameDay", date: string, time: string, department?: string) =>
    distributor.decideService({ kind, option, requestedAt: { date, time }, communicatingMeter: true, department });

  it("Good Friday 2026-04-03 at 21:00:00 → that day; 21:00:01 → Tue 04-07 (weekend, Easter Monday)", () => {
    expect(req("activation", "sameDay", "2026-04-03", "21:00:00")).toMatchObject({ ok: true, sameDay: true, takenOn: "2026-04-03" });
    expect(req("activation", "sameDay", "2026-04-03", "21:00:01", "57")).toMatchObject({ ok: true, takenOn: "2026-04-07" });
  });
  it("a Saturday request at 20:59 is taken that day (« tous les jours »), at 21:01 on the next business day", () => {
    expect(req("activation", "sameDay", "2026-04-04", "20:59")).toMatchObject({ takenOn: "2026-04-04" });
    expect(req("activation", "sameDay", "2026-04-04", "21:01")).toMatchObject({ takenOn: "2026-04-07" });
  });
  it("restoration at 14:59:59 is the standard one even with the option; at 15:00:00 the same-day one", () => {
    expect(req("restoration", "sameDay", "2026-05-12", "14:59:59")).toMatchObject({ catalogueKey: "restorationStandard", sameDay: false });
    expect(req("restoration", "sameDay", "2026-05-12", "15:00:00")).toMatchObject({ catalogueKey: "restorationSameDay", sameDay: true });
  });
  it("a time written without seconds is that time: 15:00 needs the same-day option, 21:00 is in time, 9:30 is the morning", () => {
    // Before the fix the core compared strings: "15:00" < "15:00:00", so a same-day restoration asked
    // at 15:00 was priced as a standard one; "9:30" > "21:00:00", so a morning request waited a day.
    expect(req("restoration", "sameDay", "2026-05-12", "15:00")).toMatchObject({ catalogueKey: "restorationSameDay", sameDay: true, takenOn: "2026-05-12" });
    expect(req("restoration", "standard", "2026-05-12", "15:00")).toMatchObject({ catalogueKey: "restorationStandard", sameDay: false });
    expect(req("activation", "sameDay", "2026-05-12", "21:00")).toMatchObject({ takenOn: "2026-05-12" });
    expect(req("activation", "sameDay", "2026-05-12", "9:30")).toMatchObject({ takenOn: "2026-05-12" });
    expect(req("activation", "sameDay", "2026-05-12", "21:00:00.5")).toMatchObject({ takenOn: "2026-05-13" });
    expect(req("activation", "sameDay", "2026-05-12", "nine")).toMatchObject({ ok: false });
  });
});

const catalogue = {
  entries: [
    { key: "longOutagePerKvaPerSlice", from: "2019-01-01", price: "2.00", unit: "€ per kVA per 5-hour slice", taxBasis: "no VAT (indemnity)" },
    { key: "wastedTrip", from: "2019-01-01", price: "29.03", unit: "€", taxBasis: "HT" },
  ],
  gaps: [],
};

describe("R9 long outage: 2 €/kVA × complete 5-hour slices, at most 40", () => {
  const credit = (cutAt: string, restoredAt: string, kva: number, transmissionExclusion = false) => {
    const o = distributor.longOutageCredit({ reference: "BB", cutAt, restoredAt, subscribedKva: kva, transmissionExclusion }, catalogue);
    return o.outcome === "charge" ? o.charge.amount : o.outcome;
  };
  it.each([
    ["5 h 00 → nothing", "2026-06-01T08:00:00+02:00", "2026-06-01T13:00:00+02:00", 6, "none"],
    ["5 h 01 → 1 slice × 6 kVA × 2 = 12.00", "2026-06-01T08:00:00+02:00", "2026-06-01T13:01:00+02:00", 6, "-12.00"],
    ["9 h 59 → still 1 slice", "2026-06-01T08:00:00+02:00", "2026-06-01T17:59:00+02:00", 6, "-12.00"],
    ["10 h 00 → 2 slices = 24.00", "2026-06-01T08:00:00+02:00", "2026-06-01T18:00:00+02:00", 6, "-24.00"],
    ["200 h → 40 slices × 36 kVA × 2 = 2,880.00", "2026-06-01T08:00:00+02:00", "2026-06-09T16:00:00+02:00", 36, "-2880.00"],
    ["204 h 59 → 40 (cap) = 2,880.00", "2026-06-01T08:00:00+02:00", "2026-06-09T20:59:00+02:00", 36, "-2880.00"],
    ["01:00–05:00 wall clock on 2026-10-25 lasts 5 h 00 → nothing", "2026-10-25T01:00:00+02:00", "2026-10-25T05:00:00+01:00", 9, "none"],
  ])("%s", (_, cut, restored, kva, expected) => {
    expect(credit(cut, restored, kva)).toBe(expected);
  });
  it("the 20 % exclusion: 48 h at 9 kVA (9 slices, 162.00 otherwise) → nothing", () => {
    expect(credit("2026-06-01T08:00:00+02:00", "2026-06-03T08:00:00+02:00", 9)).toBe("-162.00");
    expect(credit("2026-06-01T08:00:00+02:00", "2026-06-03T08:00:00+02:00", 9, true)).toBe("none");
  });
});

describe("R9 appointments and 2 business days' notice (Tuesday 2026-04-07, after Easter Monday)", () => {
  const vat = [{ from: "2019-01-01", normalPct: "20" }];
  const outcome = (a: Omit<distributor.MissedAppointment, "reference" | "appointmentOn">) => {
    const o = distributor.missedAppointment({ reference: "BB", appointmentOn: "2026-04-07", ...a }, catalogue, vat);
    return o.outcome === "charge" ? `${o.charge.kind} ${o.charge.amount} VAT ${o.charge.vatRate}` : o.outcome;
  };
  it("2 business days before 04-07: Mon 04-06 is a holiday → Fri 04-03, Thu 04-02 (Moselle: Good Friday too → Wed 04-01)", () => {
    expect(outcome({ missedBy: "distributor", informedOn: "2026-04-02" })).toBe("none");
    expect(outcome({ missedBy: "distributor", informedOn: "2026-04-03" })).toBe("missedAppointmentCredit -29.03 VAT 0");
    expect(outcome({ missedBy: "distributor", informedOn: "2026-04-02", department: "57" })).toBe("missedAppointmentCredit -29.03 VAT 0");
    expect(outcome({ missedBy: "distributor", informedOn: "2026-04-01", department: "57" })).toBe("none");
  });
  it("customer: moved on 04-01 (more than 2 business days before) → no fee; on 04-02 → the fee 29.03 HT with VAT 20 %", () => {
    expect(outcome({ missedBy: "customer", movedOrCancelledOn: "2026-04-01" })).toBe("none");
    expect(outcome({ missedBy: "customer", movedOrCancelledOn: "2026-04-02" })).toBe("distributorService 29.03 VAT 20");
    expect(outcome({ missedBy: "customer", forceMajeure: true })).toBe("none");
    expect(outcome({ missedBy: "supplier" })).toBe("none");
  });
});

describe("R10 steps: 15 / 30 / 20 / 60 days, winter truce boundaries, FSL pending", () => {
  const overdue = [{ itemRef: "invoice:FA-BB", dueDate: "2026-05-03", amountOwedTtc: "120.00" }];
  const next = (steps: RecordedDunningStep[], today: string, situation = ORDINARY_SITUATION) => {
    const d = nextDunningStep({ customerId: "C-BB", overdue, steps, situation, today });
    return { step: d.step, earliest: d.earliestDate, may: d.mayTakeToday };
  };
  const reminder: RecordedDunningStep = { step: "reminder", takenOn: "2026-05-04", letterReceivedOn: "2026-05-06" };

  it("15 days after the reminder's receipt (05-06): 05-07..05-21 → suspension from 05-22", () => {
    expect(next([reminder], "2026-05-21")).toEqual({ step: "suspension", earliest: "2026-05-22", may: false });
    expect(next([reminder], "2026-05-22")).toEqual({ step: "suspension", earliest: "2026-05-22", may: true });
  });
  it("30 days for an energy-cheque customer: 05-07..06-05 → limitation (Linky) from 06-06, then 60 days at 1 kVA → interruption from 08-06", () => {
    const ec = { ...ORDINARY_SITUATION, energyCheque: true };
    expect(next([reminder], "2026-06-05", ec)).toEqual({ step: "limitation", earliest: "2026-06-06", may: false });
    const steps: RecordedDunningStep[] = [reminder, { step: "limitation", takenOn: "2026-06-06" }, { step: "formalNotice", takenOn: "2026-06-06", letterReceivedOn: "2026-06-08" }];
    // notice's 20 days end 06-28; the 60 days at 1 kVA run 06-07..08-05 → 08-06
    expect(next(steps, "2026-08-05", ec)).toEqual({ step: "interruption", earliest: "2026-08-06", may: false });
    expect(next(steps, "2026-08-06", ec)).toEqual({ step: "interruption", earliest: "2026-08-06", may: true });
  });
  it("30 days for an FSL-aid customer without Linky: suspension from 06-06", () => {
    expect(next([reminder], "2026-06-05", { ...ORDINARY_SITUATION, housingFundAid: true, communicatingMeter: false })).toEqual({ step: "suspension", earliest: "2026-06-06", may: false });
  });
  it.each([
    // formal notice received, day asked, earliest interruption
    ["2026-05-25", "2026-06-14", "2026-06-15", false], // 20 days 05-26..06-14
    ["2026-03-10", "2026-03-31", "2026-04-01", false], // 03-31 would be the day, but still in the truce
    ["2026-03-11", "2026-04-01", "2026-04-01", true], // first day after the truce
    ["2026-10-10", "2026-10-31", "2026-10-31", true], // last day before the truce
    ["2026-10-11", "2026-11-01", "2027-04-01", false], // 1 November is in the truce
  ])("formal notice received %s: on %s the interruption's earliest day is %s", (received, today, earliest, may) => {
    const steps: RecordedDunningStep[] = [reminder, { step: "suspension", takenOn: received }, { step: "formalNotice", takenOn: received, letterReceivedOn: received }];
    expect(next(steps, today)).toEqual({ step: "interruption", earliest, may });
  });
  it("energy cheque, reminder received 10-01: its 30 days end 10-31, then the truce bans the limitation → 2027-04-01; an ordinary customer is limited on 11-01", () => {
    const r: RecordedDunningStep = { step: "reminder", takenOn: "2026-09-29", letterReceivedOn: "2026-10-01" };
    expect(next([r], "2026-11-01", { ...ORDINARY_SITUATION, energyCheque: true })).toEqual({ step: "limitation", earliest: "2027-04-01", may: false });
    expect(next([r], "2026-10-17")).toEqual({ step: "suspension", earliest: "2026-10-17", may: true });
    expect(next([r], "2026-11-01")).toEqual({ step: "limitation", earliest: "2026-11-01", may: true });
  });
  it("FSL aid with Linky: limited in the truce (allowed, not an energy cheque) on 11-01; the 60 days at 1 kVA count from 04-01 → interruption from 2027-05-31", () => {
    const aid = { ...ORDINARY_SITUATION, housingFundAid: true };
    const r: RecordedDunningStep = { step: "reminder", takenOn: "2026-09-29", letterReceivedOn: "2026-10-01" };
    expect(next([r], "2026-11-01", aid)).toEqual({ step: "limitation", earliest: "2026-11-01", may: true });
    const steps: RecordedDunningStep[] = [r, { step: "limitation", takenOn: "2026-11-01" }, { step: "formalNotice", takenOn: "2026-11-01", letterReceivedOn: "2026-11-03" }];
    // April 30 days + May 1–30 = 60 days outside the truce → 05-31
    expect(next(steps, "2027-05-30", aid)).toEqual({ step: "interruption", earliest: "2027-05-31", may: false });
    expect(next(steps, "2027-05-31", aid)).toEqual({ step: "interruption", earliest: "2027-05-31", may: true });
  });
  it("FSL filed 2026-12-31, no decision: held through 2027-02-28 (two months, clamped), the housing-fund letter from 03-01", () => {
    const fsl = { ...ORDINARY_SITUATION, housingFundApplications: [{ filedOn: "2026-12-31" }] };
    const r: RecordedDunningStep = { step: "reminder", takenOn: "2026-12-01", letterReceivedOn: "2026-12-03" };
    expect(next([r], "2027-02-28", fsl)).toEqual({ step: "housingFundLetter", earliest: "2027-03-01", may: false });
    expect(next([r], "2027-03-01", fsl)).toEqual({ step: "housingFundLetter", earliest: "2027-03-01", may: true });
  });
});
