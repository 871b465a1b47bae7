/**
 * R10 — CGV 8, 9; décret 2008-780 (mod. 2023-133); CASF L115-3: an audit of the unpaid-bill procedure
 * against RULES.md, every date worked out by hand. Counting (docs/rules.md): "N days from its receipt
 * on R" run R+1 … R+N, the next step may be taken on R+N+1; the winter truce is 1 Nov – 31 Mar, both
 * included; 60 days at 1 kVA count only days outside the truce.
 */
import { describe, expect, it } from "vitest";
import { datesOf, driveProcedure } from "../testing/dunning-driver.ts";
import { type CustomerSituation, ORDINARY_SITUATION } from "./customer-situation.ts";
import { type RecordedDunningStep, nextDunningStep } from "./unpaid-bill-procedure.ts";

const ordinary = ORDINARY_SITUATION;
const chequeLinky: CustomerSituation = { ...ordinary, energyCheque: true, communicatingMeter: true };

const next = (situation: CustomerSituation, steps: RecordedDunningStep[], today: string) =>
  nextDunningStep({ customerId: "CU", overdue: [{ itemRef: "invoice:F-1", dueDate: "2025-06-01", amountOwedTtc: "150.00" }], steps, situation, today });
const letter = (step: RecordedDunningStep["step"], takenOn: string, receivedOn: string): RecordedDunningStep => ({ step, takenOn, letterSentOn: takenOn, letterReceivedOn: receivedOn });
const request = (step: RecordedDunningStep["step"], takenOn: string): RecordedDunningStep => ({ step, takenOn });

describe("R10 audit — delays from receipt (15, 30, 20 days)", () => {
  const receipts = { reminder: 2, formalNotice: 3 } as const;

  it("R10 ordinary: reminder 05-05 received 05-07 → suspension and notice 05-23; notice received 05-26 → interruption 06-16", () => {
    const taken = driveProcedure({ dueDate: "2026-05-04", from: "2026-05-01", to: "2026-08-31", situation: ordinary, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2026-05-05", "reminder"],
      ["2026-05-23", "suspension"],
      ["2026-05-23", "formalNotice"],
      ["2026-06-16", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(true);
  });

  for (const [who, situation] of [
    ["energy cheque", { ...ordinary, energyCheque: true, communicatingMeter: false }],
    ["social tariff", { ...ordinary, socialTariff: true, communicatingMeter: false }],
    ["housing-fund aid", { ...ordinary, housingFundAid: true, communicatingMeter: false }],
  ] as const) {
    it(`R10 ${who}, no communicating meter: 30 days (05-08 … 06-06) → suspension and notice 06-07; notice received 06-10 → interruption 07-01; no visit fee`, () => {
      const taken = driveProcedure({ dueDate: "2026-05-04", from: "2026-05-01", to: "2026-08-31", situation, receiptAfter: receipts });
      expect(datesOf(taken)).toEqual([
        ["2026-05-05", "reminder"],
        ["2026-06-07", "suspension"],
        ["2026-06-07", "formalNotice"],
        ["2026-07-01", "interruption"],
      ]);
      expect(taken[1]!.decision.inputs["reminderDelayDays"]).toBe("30");
      expect(taken[1]!.decision.feeRebillable).toBe(false);
    });
  }

  it("R10 energy cheque with a communicating meter: 30 days, limitation to 1 kVA 06-07, interruption after 60 days (06-08 … 08-06) on 08-07", () => {
    const taken = driveProcedure({ dueDate: "2026-05-04", from: "2026-05-01", to: "2026-09-30", situation: chequeLinky, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2026-05-05", "reminder"],
      ["2026-06-07", "limitation"],
      ["2026-06-07", "formalNotice"],
      ["2026-08-07", "interruption"],
    ]);
    expect(taken[1]!.decision).toMatchObject({ feeRebillable: false, inputs: { limitKva: "1" } });
  });
});

describe("R10 audit — winter truce boundaries (main residence)", () => {
  const upToNotice = (noticeReceived: string, restriction: "suspension" | "limitation" = "suspension") => [
    letter("reminder", "2025-09-01", "2025-09-03"),
    request(restriction, "2025-09-19"),
    letter("formalNotice", "2025-09-19", noticeReceived),
  ];

  it("R10 notice received 2025-10-10: its 20 days end 10-30, interruption on 31 October (last day before the truce)", () => {
    expect(next(ordinary, upToNotice("2025-10-10"), "2025-10-31")).toMatchObject({ step: "interruption", earliestDate: "2025-10-31", mayTakeToday: true });
  });

  it("R10 notice received 2025-10-11: interruption due 1 November → held to 1 April 2026; a secondary residence is cut on 1 November", () => {
    const d = next(ordinary, upToNotice("2025-10-11"), "2025-11-01");
    expect(d).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(d.blockedBy.map((b) => b.reason)).toContain("winterTruce");
    expect(next({ ...ordinary, mainResidence: false }, upToNotice("2025-10-11"), "2025-11-01")).toMatchObject({ step: "interruption", earliestDate: "2025-11-01", mayTakeToday: true });
  });

  it("R10 notice received 2026-03-10 → due 31 March, still the truce: not on 03-31, allowed on 1 April", () => {
    const steps = [letter("reminder", "2026-02-02", "2026-02-04"), request("limitation", "2026-02-20"), letter("formalNotice", "2026-02-20", "2026-03-10")];
    expect(next(ordinary, steps, "2026-03-31")).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(next(ordinary, steps, "2026-04-01")).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: true });
  });

  it("R10 step 2 on 31 October is a suspension; on 1 November (truce) a limitation instead; on 31 March a limitation, on 1 April a suspension", () => {
    expect(next(ordinary, [letter("reminder", "2025-10-13", "2025-10-15")], "2025-10-31")).toMatchObject({ step: "suspension", mayTakeToday: true });
    expect(next(ordinary, [letter("reminder", "2025-10-14", "2025-10-16")], "2025-11-01")).toMatchObject({ step: "limitation", mayTakeToday: true });
    expect(next(ordinary, [letter("reminder", "2026-03-13", "2026-03-15")], "2026-03-31")).toMatchObject({ step: "limitation", mayTakeToday: true });
    expect(next(ordinary, [letter("reminder", "2026-03-14", "2026-03-16")], "2026-04-01")).toMatchObject({ step: "suspension", mayTakeToday: true });
  });

  it("R10 energy cheque (communicating meter): no limitation in the truce — due 31 March (received 02-28, 30 days) → 1 April; due 31 October → allowed; due 1 November → 1 April", () => {
    expect(next(chequeLinky, [letter("reminder", "2026-02-26", "2026-02-28")], "2026-03-31")).toMatchObject({ step: "limitation", earliestDate: "2026-04-01", mayTakeToday: false });
    expect(next(chequeLinky, [letter("reminder", "2025-09-28", "2025-09-30")], "2025-10-31")).toMatchObject({ step: "limitation", earliestDate: "2025-10-31", mayTakeToday: true });
    expect(next(chequeLinky, [letter("reminder", "2025-09-29", "2025-10-01")], "2025-11-01")).toMatchObject({ step: "limitation", earliestDate: "2026-04-01", mayTakeToday: false });
  });
});

describe("R10 audit — 60 days at 1 kVA, outside the truce", () => {
  const limitedOn = (l: string, noticeReceived: string) => [letter("reminder", "2025-07-01", "2025-07-03"), request("limitation", l), letter("formalNotice", l, noticeReceived)];

  it("R10 limited 2025-08-31: 60 days 09-01 … 10-30 → interruption 31 October", () => {
    expect(next(chequeLinky, limitedOn("2025-08-31", "2025-09-03"), "2025-10-31")).toMatchObject({ step: "interruption", earliestDate: "2025-10-31", mayTakeToday: true });
  });

  it("R10 limited 2025-09-01: the 60th day is 10-31, interruption due 1 November → 1 April 2026", () => {
    expect(next(chequeLinky, limitedOn("2025-09-01", "2025-09-04"), "2025-10-31")).toMatchObject({ step: "interruption", earliestDate: "2026-04-01", mayTakeToday: false });
  });

  it("R10 limited 2025-09-15: 15 + 31 days before the truce, 14 after (04-01 … 04-14) → interruption 2026-04-15", () => {
    const d = next(chequeLinky, limitedOn("2025-09-15", "2025-09-18"), "2026-04-01");
    expect(d).toMatchObject({ step: "interruption", earliestDate: "2026-04-15", mayTakeToday: false });
    expect(d.inputs["limitationServedOn"]).toBe("2026-04-15");
  });

  it("R10 limited 2026-04-01 (notice received 04-04, its 20 days end 04-24): interruption only after 60 days (04-02 … 05-31), on 06-01", () => {
    expect(next(chequeLinky, limitedOn("2026-04-01", "2026-04-04"), "2026-04-25")).toMatchObject({ step: "interruption", earliestDate: "2026-06-01", mayTakeToday: false });
  });
});

describe("R10 audit — pending, refused and granted FSL applications", () => {
  const receipts = { reminder: 2, formalNotice: 3, housingFundLetter: 2 } as const;
  // Due 2026-06-01 → reminder 06-02, received 06-04; step 2 would be 06-20. FSL filed 06-10.
  const withFsl = (app: (d: string) => { filedOn: string; decidedOn?: string; decision?: "granted" | "refused" } | null, base: CustomerSituation = ordinary) => (d: string): CustomerSituation => {
    const a = app(d);
    return a === null ? base : { ...base, housingFundApplications: [a] };
  };

  it("R10 undecided: supply kept on through 08-10 (2 months); letter 08-11 received 08-13, 20 days → suspension 09-03; notice received 09-06 → interruption 09-27", () => {
    const situation = withFsl((d) => (d >= "2026-06-10" ? { filedOn: "2026-06-10" } : null));
    const taken = driveProcedure({ dueDate: "2026-06-01", from: "2026-06-01", to: "2026-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2026-06-02", "reminder"],
      ["2026-08-11", "housingFundLetter"],
      ["2026-09-03", "suspension"],
      ["2026-09-03", "formalNotice"],
      ["2026-09-27", "interruption"],
    ]);
  });

  it("R10 refused on 07-15: the procedure resumes the next day — suspension and notice 07-16, notice received 07-19 → interruption 08-09", () => {
    const situation = withFsl((d) => (d < "2026-06-10" ? null : d >= "2026-07-15" ? { filedOn: "2026-06-10", decidedOn: "2026-07-15", decision: "refused" } : { filedOn: "2026-06-10" }));
    const taken = driveProcedure({ dueDate: "2026-06-01", from: "2026-06-01", to: "2026-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2026-06-02", "reminder"],
      ["2026-07-16", "suspension"],
      ["2026-07-16", "formalNotice"],
      ["2026-08-09", "interruption"],
    ]);
  });

  it("R10 granted on 07-15 (communicating meter): an FSL beneficiary — 1 kVA from 07-16, 60 days 07-17 … 09-14, interruption 09-15; no fee", () => {
    const situation = withFsl((d) => (d < "2026-06-10" ? null : d >= "2026-07-15" ? { filedOn: "2026-06-10", decidedOn: "2026-07-15", decision: "granted" } : { filedOn: "2026-06-10" }));
    const taken = driveProcedure({ dueDate: "2026-06-01", from: "2026-06-01", to: "2026-10-31", situation, receiptAfter: receipts });
    expect(datesOf(taken)).toEqual([
      ["2026-06-02", "reminder"],
      ["2026-07-16", "limitation"],
      ["2026-07-16", "formalNotice"],
      ["2026-09-15", "interruption"],
    ]);
    expect(taken[1]!.decision.feeRebillable).toBe(false);
  });
});
