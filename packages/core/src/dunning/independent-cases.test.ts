/**
 * R10 — CGV 8, 9; décret 2008-780 (mod. 2023-133); CASF L115-3: an independent check of the
 * unpaid-bill procedure. Every date was worked out by hand from RULES.md R10 and docs/rules.md
 * ("Unpaid bills and vulnerable customers") — not read off the engine:
 * - the reminder goes the day after the due date; "N days from its receipt on R" run R+1 … R+N and
 *   the next step may be taken on R+N+1 (calendar days: weekends count);
 * - an unrecorded reminder (ordinary post) is presumed received 5 calendar days after sending; a formal
 *   notice (registered letter) waits for its recorded receipt;
 * - winter truce 1 Nov – 31 Mar: no suspension or interruption of a main residence, no limitation of an
 *   energy-cheque beneficiary; 60 days at 1 kVA count only days outside the truce.
 * 2025-09-19, 2025-11-14 and 2025-09-12 are Fridays.
 */
import { describe, expect, it } from "vitest";
import { datesOf, driveProcedure } from "../testing/dunning-driver.ts";
import { type CustomerSituation, ORDINARY_SITUATION } from "./customer-situation.ts";
import { nextDunningStep } from "./unpaid-bill-procedure.ts";

const ordinary = ORDINARY_SITUATION;

describe("R10 independent cases — delays counted from receipt", () => {
  it("R10 a reminder received on a Friday: the 15 days run through the weekends, suspension on the 16th day", () => {
    // Due Fri 2025-09-12 → reminder Sat 09-13, received Fri 09-19 (recorded). 15 days: 09-20 … 10-04
    // → suspension and formal notice Sun 10-05. Notice received 10-08: 20 days 10-09 … 10-28 →
    // interruption 10-29 (before the truce).
    const taken = driveProcedure({ dueDate: "2025-09-12", from: "2025-09-01", to: "2025-12-31", situation: ordinary, receiptAfter: { reminder: 6, formalNotice: 3 } });
    expect(datesOf(taken)).toEqual([
      ["2025-09-13", "reminder"],
      ["2025-10-05", "suspension"],
      ["2025-10-05", "formalNotice"],
      ["2025-10-29", "interruption"],
    ]);
    expect(taken[1]!.decision.inputs).toMatchObject({ reminderReceivedOn: "2025-09-19", reminderDelayDays: "15" });
    expect(taken[3]!.decision.inputs).toMatchObject({ formalNoticeReceivedOn: "2025-10-08" });
  });

  it("R10 a reminder sent on a Friday without a recorded receipt: presumed received 5 calendar days later", () => {
    // Due Thu 2025-09-11 → reminder Fri 09-12, presumed received Wed 09-17; 15 days 09-18 … 10-02 →
    // suspension and notice 10-03; notice received 10-06 (recorded): 20 days 10-07 … 10-26 → interruption 10-27.
    const taken = driveProcedure({ dueDate: "2025-09-11", from: "2025-09-01", to: "2025-12-31", situation: ordinary, receiptAfter: { formalNotice: 3 } });
    expect(datesOf(taken)).toEqual([
      ["2025-09-12", "reminder"],
      ["2025-10-03", "suspension"],
      ["2025-10-03", "formalNotice"],
      ["2025-10-27", "interruption"],
    ]);
    expect(taken[1]!.decision.inputs["reminderReceivedOn"]).toBe("2025-09-17 (presumed)");
  });

  it("R10 a social-tariff customer with a communicating meter: 30 days, then 60 days at 1 kVA that stop counting during the truce", () => {
    // Due 2025-08-01 → reminder 08-02, received 08-04; 30 days 08-05 … 09-03 → limitation (1 kVA) and
    // notice 09-04; notice received 09-07 → 20 days end 09-27. 60 days at 1 kVA from 09-05: 26 in
    // September + 31 in October = 57, the truce does not count, 3 more 04-01 … 04-03 → interruption 2026-04-04.
    const taken = driveProcedure({
      dueDate: "2025-08-01",
      from: "2025-08-01",
      to: "2026-05-31",
      situation: { ...ordinary, socialTariff: true },
      receiptAfter: { reminder: 2, formalNotice: 3 },
    });
    expect(datesOf(taken)).toEqual([
      ["2025-08-02", "reminder"],
      ["2025-09-04", "limitation"],
      ["2025-09-04", "formalNotice"],
      ["2026-04-04", "interruption"],
    ]);
    expect(taken[1]!.decision.inputs).toMatchObject({ limitKva: "1", reminderDelayDays: "30" });
    expect(taken[1]!.decision.feeRebillable).toBe(false);
    expect(taken[3]!.decision.inputs).toMatchObject({ limitedSince: "2025-09-04", limitationServedOn: "2026-04-04" });
  });
});

describe("R10 independent cases — winter truce", () => {
  const due = "2025-11-14"; // a Friday
  const receipts = { reminder: 3, formalNotice: 5 } as const;

  it("R10 formal notice received during the truce, main residence: limitation instead of suspension, interruption on 1 April at the earliest", () => {
    // Reminder Sat 11-15, received 11-18; 15 days 11-19 … 12-03 → step 2 on 12-04, in the truce: a main
    // residence is limited, not cut. Notice 12-04, received 12-09: 20 days 12-10 … 12-29 → 12-30, in
    // the truce → interruption 2026-04-01.
    const taken = driveProcedure({ dueDate: due, from: "2025-11-01", to: "2026-04-30", situation: ordinary, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-11-15", "reminder"],
      ["2025-12-04", "limitation"],
      ["2025-12-04", "formalNotice"],
      ["2026-04-01", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(true);
    const onDec30 = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: due, amountOwedTtc: "120.00" }],
      steps: [
        { step: "reminder", takenOn: "2025-11-15", letterReceivedOn: "2025-11-18" },
        { step: "limitation", takenOn: "2025-12-04" },
        { step: "formalNotice", takenOn: "2025-12-04", letterReceivedOn: "2025-12-09" },
      ],
      situation: ordinary,
      today: "2025-12-30",
    });
    expect(onDec30).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(onDec30.blockedBy.map((b) => [b.reason, b.until])).toEqual([["winterTruce", "2026-04-01"]]);
  });

  it("R10 the same timeline for a secondary residence: no truce, suspension and interruption on their dates", () => {
    const taken = driveProcedure({ dueDate: due, from: "2025-11-01", to: "2026-04-30", situation: { ...ordinary, mainResidence: false }, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-11-15", "reminder"],
      ["2025-12-04", "suspension"],
      ["2025-12-04", "formalNotice"],
      ["2025-12-30", "interruption"],
    ]);
  });

  it("R10 an energy-cheque customer without a communicating meter in the truce: neither limited nor cut before 1 April, then the ordinary sequence", () => {
    // Due 2025-12-01 → reminder 12-02, received 12-04; 30 days 12-05 … 2026-01-03. In the truce an
    // energy-cheque beneficiary cannot be limited and a main residence cannot be suspended → 2026-04-01:
    // suspension (no communicating meter: no 1 kVA step) and notice; received 04-04 → 20 days 04-05 … 04-24
    // → interruption 04-25. No visit fee.
    const taken = driveProcedure({
      dueDate: "2025-12-01",
      from: "2025-12-01",
      to: "2026-06-30",
      situation: { ...ordinary, energyCheque: true, communicatingMeter: false },
      receiptAfter: { reminder: 2, formalNotice: 3 },
    });
    expect(datesOf(taken)).toEqual([
      ["2025-12-02", "reminder"],
      ["2026-04-01", "suspension"],
      ["2026-04-01", "formalNotice"],
      ["2026-04-25", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(false);
    expect(taken[3]!.decision.feeRebillable).toBe(false);
  });
});

describe("R10 independent cases — housing fund and payment", () => {
  const receipts = { reminder: 2, formalNotice: 3, housingFundLetter: 2 } as const;
  // Due 2025-05-02 → reminder 05-03, received 05-05; 15 days 05-06 … 05-20 → suspension and notice 05-21;
  // notice received 05-24: 20 days 05-25 … 06-13 → interruption would be 06-14.

  it("R10 an FSL application filed after the formal notice, undecided: no interruption until 20 days after the housing-fund letter", () => {
    // Filed 2025-06-01: supply kept on through 08-01 (two months); letter 08-02, received 08-04;
    // 20 days 08-05 … 08-24 → interruption 08-25.
    const situation: CustomerSituation = { ...ordinary, housingFundApplications: [{ filedOn: "2025-06-01" }] };
    const taken = driveProcedure({ dueDate: "2025-05-02", from: "2025-05-01", to: "2025-10-31", situation: (d) => (d >= "2025-06-01" ? situation : ordinary), receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-03", "reminder"],
      ["2025-05-21", "suspension"],
      ["2025-05-21", "formalNotice"],
      ["2025-08-02", "housingFundLetter"],
      ["2025-08-25", "interruption"],
    ]);
  });

  it("R10 an FSL application filed after the formal notice and refused: the interruption waits for the decision, then goes the next day", () => {
    // Filed 06-01, refused 06-20: the notice's 20 days ended 06-13; resumed the day after the decision → 06-21.
    const situation = (d: string): CustomerSituation =>
      d < "2025-06-01" ? ordinary : { ...ordinary, housingFundApplications: [d >= "2025-06-20" ? { filedOn: "2025-06-01", decidedOn: "2025-06-20", decision: "refused" } : { filedOn: "2025-06-01" }] };
    const taken = driveProcedure({ dueDate: "2025-05-02", from: "2025-05-01", to: "2025-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-03", "reminder"],
      ["2025-05-21", "suspension"],
      ["2025-05-21", "formalNotice"],
      ["2025-06-21", "interruption"],
    ]);
  });

  it("R10 an FSL aid granted after a suspension (communicating meter): supply limited to 1 kVA the day after the decision, interruption 60 days later", () => {
    // Suspended 05-21; FSL filed 06-01 (interruption held), granted 06-20: the customer is now an FSL
    // beneficiary with a communicating meter → 1 kVA for 60 days before any interruption. Limitation
    // 06-21 (the day after the decision); 60 days 06-22 … 08-20 → interruption 08-21. No visit fee.
    // (The engine first waited forever here: "no limitation was recorded".)
    const situation = (d: string): CustomerSituation =>
      d < "2025-06-01" ? ordinary : { ...ordinary, housingFundApplications: [d >= "2025-06-20" ? { filedOn: "2025-06-01", decidedOn: "2025-06-20", decision: "granted" } : { filedOn: "2025-06-01" }] };
    const taken = driveProcedure({ dueDate: "2025-05-02", from: "2025-05-01", to: "2025-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-03", "reminder"],
      ["2025-05-21", "suspension"],
      ["2025-05-21", "formalNotice"],
      ["2025-06-21", "limitation"],
      ["2025-08-21", "interruption"],
    ]);
    expect(taken[3]!.decision).toMatchObject({ feeRebillable: false, inputs: { limitKva: "1" } });
    expect(taken[4]!.decision.inputs).toMatchObject({ limitedSince: "2025-06-21", limitationServedOn: "2025-08-21" });
  });

  it("R10 a payment between the formal notice and the interruption closes the procedure; nothing follows", () => {
    // Due 2025-06-02 → reminder 06-03, received 06-05; suspension and notice 06-21, received 06-24 →
    // interruption would be 07-15; paid on 07-10 → settled 07-10.
    const taken = driveProcedure({ dueDate: "2025-06-02", from: "2025-06-01", to: "2025-09-30", situation: ordinary, receiptAfter: receipts, paidOn: "2025-07-10" });
    expect(datesOf(taken)).toEqual([
      ["2025-06-03", "reminder"],
      ["2025-06-21", "suspension"],
      ["2025-06-21", "formalNotice"],
      ["2025-07-10", "settled"],
    ]);
  });

  it("R10 a payment before step 2 closes the procedure without any request to the distributor", () => {
    // Reminder 06-03 received 06-05; suspension would be 06-21; paid 06-15.
    const taken = driveProcedure({ dueDate: "2025-06-02", from: "2025-06-01", to: "2025-09-30", situation: ordinary, receiptAfter: receipts, paidOn: "2025-06-15" });
    expect(datesOf(taken)).toEqual([
      ["2025-06-03", "reminder"],
      ["2025-06-15", "settled"],
    ]);
  });

  it("R10 a housing-fund aid received: 30 days after the reminder; without a communicating meter, the ordinary suspension", () => {
    // Due 2025-06-02 → reminder 06-03, received 06-05; 30 days 06-06 … 07-05 → suspension and notice 07-06;
    // received 07-09 → 20 days 07-10 … 07-29 → interruption 07-30. No visit fee (CGV 9.1).
    const taken = driveProcedure({
      dueDate: "2025-06-02",
      from: "2025-06-01",
      to: "2025-09-30",
      situation: { ...ordinary, housingFundAid: true, communicatingMeter: false },
      receiptAfter: receipts,
    });
    expect(datesOf(taken)).toEqual([
      ["2025-06-03", "reminder"],
      ["2025-07-06", "suspension"],
      ["2025-07-06", "formalNotice"],
      ["2025-07-30", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(false);
  });
});
