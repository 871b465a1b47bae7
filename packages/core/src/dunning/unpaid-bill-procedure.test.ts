/**
 * R10 — CGV 8, 9; décret 2008-780; CASF L115-3: dunning timelines, day by day, with exact dates.
 * Letters are received a few days after sending (recorded); the formal notice always waits for its
 * recorded receipt.
 */
import { describe, expect, it } from "vitest";
import { datesOf, driveProcedure } from "../testing/dunning-driver.ts";
import { type CustomerSituation, ORDINARY_SITUATION } from "./customer-situation.ts";
import { nextDunningStep } from "./unpaid-bill-procedure.ts";
import { addDaysOutsideTruce, isInWinterTruce, winterTruceEnd } from "./winter-truce.ts";

const ordinary = ORDINARY_SITUATION;
const energyCheque: CustomerSituation = { ...ORDINARY_SITUATION, energyCheque: true };
const receipts = { reminder: 2, formalNotice: 3, housingFundLetter: 2 } as const;

describe("R10 winter truce", () => {
  it.each([
    ["2025-10-31", false, "2025-10-31"],
    ["2025-11-01", true, "2026-04-01"],
    ["2026-02-28", true, "2026-04-01"],
    ["2026-03-31", true, "2026-04-01"],
    ["2026-04-01", false, "2026-04-01"],
  ])("R10 %s in the truce: %s, truce ends %s", (d, inTruce, end) => {
    expect(isInWinterTruce(d)).toBe(inTruce);
    expect(winterTruceEnd(d)).toBe(end);
  });

  it("R10 counts 60 days of limitation outside the truce only", () => {
    expect(addDaysOutsideTruce("2025-05-19", 60)).toBe("2025-07-18");
    // 2025-10-01 + 30 days to 2025-10-31, the truce skipped, 30 more from 2026-04-01.
    expect(addDaysOutsideTruce("2025-10-01", 60)).toBe("2026-04-30");
  });
});

describe("R10 unpaid-bill procedure — timelines", () => {
  it("R10 ordinary customer: reminder, suspension 15 days after its receipt, formal notice, interruption 20 days after its receipt", () => {
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-09-30", situation: ordinary, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"], // the day after the due date
      ["2025-06-04", "suspension"], // received 05-19; 15 days run 05-20 … 06-03
      ["2025-06-04", "formalNotice"],
      ["2025-06-28", "interruption"], // received 06-07; 20 days run 06-08 … 06-27
    ]);
    const suspension = taken[1]!.decision;
    expect(suspension.feeRebillable).toBe(true);
    expect(suspension.legalBasis).toMatch(/^CGV 9.1, 8.3; décret 2008-780/);
    expect(suspension.inputs).toMatchObject({ reminderReceivedOn: "2025-05-19", reminderDelayDays: "15", balanceTtc: "120.00" });
    expect(suspension.explanation).toBe(
      "Suspension request on 2025-06-04: the reminder received on 2025-05-19 went unanswered 15 days; overdue balance 120.00 €. The distributor's visit fee is re-billed (R9).",
    );
    expect(taken[0]!.decision.feeRebillable).toBeNull();
  });

  it("R10 energy-cheque customer with a communicating meter: 30 days after the reminder, then at least 60 days at 1 kVA before interruption, no fee", () => {
    const taken = driveProcedure({ dueDate: "2025-04-15", from: "2025-04-01", to: "2025-10-31", situation: energyCheque, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-04-16", "reminder"],
      ["2025-05-19", "limitation"], // received 04-18; 30 days run 04-19 … 05-18
      ["2025-05-19", "formalNotice"],
      ["2025-07-19", "interruption"], // notice received 05-22 (+20 → 06-12) but 60 days at 1 kVA run 05-20 … 07-18
    ]);
    expect(taken[1]!.decision.inputs).toMatchObject({ limitKva: "1", reminderDelayDays: "30" });
    expect(taken[1]!.decision.feeRebillable).toBe(false);
    expect(taken[3]!.decision.feeRebillable).toBe(false);
    expect(taken[3]!.decision.inputs).toMatchObject({ limitedSince: "2025-05-19", limitationServedOn: "2025-07-19" });
    // Mid-way the engine names what it waits for.
    const midway = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-04-15", amountOwedTtc: "120.00" }],
      steps: taken.slice(0, 3).map((s) => ({ step: s.step, takenOn: s.takenOn, letterSentOn: s.letterSentOn ?? null, letterReceivedOn: s.receiptOn })),
      situation: energyCheque,
      today: "2025-06-20",
    });
    expect(midway).toMatchObject({ step: "interruption", earliestDate: "2025-07-19", mayTakeToday: false });
    expect(midway.blockedBy.map((b) => [b.reason, b.until])).toEqual([["limitationNotServed", "2025-07-19"]]);
  });

  it("R10 energy-cheque customer without a communicating meter: 30 days, then the ordinary suspension and interruption", () => {
    const taken = driveProcedure({ dueDate: "2025-04-15", from: "2025-04-01", to: "2025-08-31", situation: { ...energyCheque, communicatingMeter: false }, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-04-16", "reminder"],
      ["2025-05-19", "suspension"],
      ["2025-05-19", "formalNotice"],
      ["2025-06-12", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(false);
  });

  it("R10 winter truce, ordinary main residence: limitation instead of suspension, interruption pushed to 1 April", () => {
    const taken = driveProcedure({ dueDate: "2025-10-20", from: "2025-10-01", to: "2026-05-31", situation: ordinary, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-10-21", "reminder"],
      ["2025-11-08", "limitation"], // in the truce a main residence is limited, not cut
      ["2025-11-08", "formalNotice"],
      ["2026-04-01", "interruption"], // notice received 11-11, + 20 days → 2025-12-02, in the truce
    ]);
    const dec1201 = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-10-20", amountOwedTtc: "120.00" }],
      steps: taken.slice(0, 3).map((s) => ({ step: s.step, takenOn: s.takenOn, letterSentOn: s.letterSentOn ?? null, letterReceivedOn: s.receiptOn })),
      situation: ordinary,
      today: "2025-12-10",
    });
    expect(dec1201).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(dec1201.blockedBy).toEqual([{ reason: "winterTruce", until: "2026-04-01", message: "winter truce: no interruption of a main residence before 2026-04-01" }]);
  });

  it("R10 winter truce, secondary residence: suspension and interruption go ahead", () => {
    const taken = driveProcedure({ dueDate: "2025-10-20", from: "2025-10-01", to: "2026-01-31", situation: { ...ordinary, mainResidence: false }, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-10-21", "reminder"],
      ["2025-11-08", "suspension"],
      ["2025-11-08", "formalNotice"],
      ["2025-12-02", "interruption"],
    ]);
  });

  it("R10 winter truce, energy-cheque customer: limitation refused in the truce, then 60 days at 1 kVA from 1 April", () => {
    const taken = driveProcedure({ dueDate: "2025-10-01", from: "2025-10-01", to: "2026-07-31", situation: energyCheque, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-10-02", "reminder"],
      ["2026-04-01", "limitation"], // received 10-04 + 30 days → 11-04, in the truce
      ["2026-04-01", "formalNotice"],
      ["2026-06-01", "interruption"], // 60 days at 1 kVA: 04-02 … 05-31
    ]);
    const onNov4 = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-10-01", amountOwedTtc: "120.00" }],
      steps: [{ step: "reminder", takenOn: "2025-10-02", letterSentOn: "2025-10-02", letterReceivedOn: "2025-10-04" }],
      situation: energyCheque,
      today: "2025-11-04",
    });
    expect(onNov4).toMatchObject({ step: "limitation", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(onNov4.blockedBy).toEqual([{ reason: "winterTruce", until: "2026-04-01", message: "winter truce: no power limitation of an energy-cheque beneficiary before 2026-04-01" }]);
  });

  it("R10 FSL application pending, then refused: everything held until the decision, resumed the next day", () => {
    const fsl = (d: string): CustomerSituation => ({
      ...ordinary,
      housingFundApplications: [d >= "2025-06-20" ? { filedOn: "2025-05-25", decidedOn: "2025-06-20", decision: "refused" } : { filedOn: "2025-05-25" }],
    });
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-08-31", situation: fsl, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"],
      ["2025-06-21", "suspension"], // would be 06-04; held while the FSL decides
      ["2025-06-21", "formalNotice"],
      ["2025-07-15", "interruption"],
    ]);
  });

  it("R10 FSL application granted: the customer received a housing-fund aid, 30 days and 1 kVA first", () => {
    const fsl = (d: string): CustomerSituation => ({
      ...ordinary,
      housingFundApplications: [d >= "2025-06-20" ? { filedOn: "2025-05-25", decidedOn: "2025-06-20", decision: "granted" } : { filedOn: "2025-05-25" }],
    });
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-09-30", situation: fsl, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"],
      ["2025-06-21", "limitation"],
      ["2025-06-21", "formalNotice"],
      ["2025-08-21", "interruption"], // 60 days at 1 kVA: 06-22 … 08-20
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(false);
  });

  it("R10 FSL application without a decision after 2 months: a letter, suspension 20 days after its receipt", () => {
    const situation: CustomerSituation = { ...ordinary, housingFundApplications: [{ filedOn: "2025-05-25" }] };
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"],
      ["2025-07-26", "housingFundLetter"], // 2 months from 05-25 end on 07-25
      ["2025-08-18", "suspension"], // letter received 07-28; 20 days run 07-29 … 08-17
      ["2025-08-18", "formalNotice"],
      ["2025-09-11", "interruption"],
    ]);
    expect(taken[1]!.decision.legalBasis).toMatch(/^CGV 8.2/);
    const held = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-05-16", amountOwedTtc: "120.00" }],
      steps: [{ step: "reminder", takenOn: "2025-05-17", letterSentOn: "2025-05-17", letterReceivedOn: "2025-05-19" }],
      situation,
      today: "2025-06-10",
    });
    expect(held).toMatchObject({ step: "housingFundLetter", earliestDate: "2025-07-26", mayTakeToday: false });
    expect(held.blockedBy.map((b) => b.reason)).toEqual(["housingFundPending"]);
  });

  it("R10 an FSL application filed before the due date holds the reminder too", () => {
    const situation: CustomerSituation = { ...ordinary, housingFundApplications: [{ filedOn: "2025-05-10" }] };
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-07-31", situation, receiptAfter: receipts });
    expect(datesOf(taken).slice(0, 2)).toEqual([
      ["2025-07-11", "reminder"],
      ["2025-07-11", "housingFundLetter"],
    ]);
  });

  it("R10 the procedure stops when the balance is paid, and records it", () => {
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-08-31", situation: ordinary, receiptAfter: receipts, paidOn: "2025-06-01" });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"],
      ["2025-06-01", "settled"],
    ]);
    expect(taken[1]!.decision.explanation).toBe("The overdue balance is 0.00 € on 2025-06-01 (under 0.01 €): the procedure stops.");
  });

  it("R10 without a recorded receipt the reminder is presumed received 5 days after sending; the formal notice waits for its receipt", () => {
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-09-30", situation: ordinary });
    expect(datesOf(taken)).toEqual([
      ["2025-05-17", "reminder"],
      ["2025-06-07", "suspension"], // presumed received 05-22; 15 days run 05-23 … 06-06
      ["2025-06-07", "formalNotice"],
    ]);
    const waiting = nextDunningStep({
      customerId: "CU1",
      overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-05-16", amountOwedTtc: "120.00" }],
      steps: taken.map((s) => ({ step: s.step, takenOn: s.takenOn, letterSentOn: s.letterSentOn ?? null })),
      situation: ordinary,
      today: "2025-09-30",
    });
    expect(waiting).toMatchObject({ step: "interruption", earliestDate: null, mayTakeToday: false });
    expect(waiting.blockedBy).toEqual([{ reason: "awaitingReceipt", until: null, message: "the formal notice sent on 2025-06-07 has no recorded receipt" }]);
  });

  it("R10 a vulnerable customer (FSL commission) keeps the ordinary delays but is not re-billed the visit fee", () => {
    const taken = driveProcedure({ dueDate: "2025-05-16", from: "2025-05-01", to: "2025-06-30", situation: { ...ordinary, vulnerable: true }, receiptAfter: receipts });
    expect(taken[1]).toMatchObject({ step: "suspension", takenOn: "2025-06-04" });
    expect(taken[1]!.decision.feeRebillable).toBe(false);
  });

  it("R10 nothing overdue: no procedure; a balance under the threshold does not open one", () => {
    const base = { customerId: "CU1", steps: [], situation: ordinary, today: "2025-06-01" };
    expect(nextDunningStep({ ...base, overdue: [] }).outcome).toBe("nothingOverdue");
    expect(nextDunningStep({ ...base, overdue: [{ itemRef: "invoice:FA-1", dueDate: "2025-05-16", amountOwedTtc: "4.99" }], policy: { minimumBalanceTtc: "5.00" } }).outcome).toBe("nothingOverdue");
  });

  it("R10 runs on the customer's overdue balance, opened on the oldest item", () => {
    const d = nextDunningStep({
      customerId: "CU1",
      overdue: [
        { itemRef: "invoice:FA-000031", dueDate: "2025-06-16", amountOwedTtc: "82.58" },
        { itemRef: "instalment:K1/K1-2025-01-01/5", dueDate: "2025-05-16", amountOwedTtc: "40.1" },
      ],
      steps: [],
      situation: ordinary,
      today: "2025-06-20",
    });
    expect(d).toMatchObject({ step: "reminder", earliestDate: "2025-06-20", mayTakeToday: true });
    expect(d.inputs).toMatchObject({ oldestItemRef: "instalment:K1/K1-2025-01-01/5", oldestDueDate: "2025-05-16", balanceTtc: "122.68" });
  });
});
