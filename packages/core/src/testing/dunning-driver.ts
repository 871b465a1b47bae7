/**
 * A day-by-day driver of the R10 procedure for tests: each day it asks {@link nextDunningStep} and
 * records every step that may be taken that day, as the nightly step does. Letters are received a
 * given number of days after sending; a receipt is shown to the engine only from its day on.
 */
import { type LocalDate, addDays } from "../primitives/dates.ts";
import type { CustomerSituation } from "../dunning/customer-situation.ts";
import {
  type DunningDecision,
  type DunningPolicy,
  type DunningStepKind,
  type LetterKind,
  type RecordedDunningStep,
  isLetterStep,
  nextDunningStep,
} from "../dunning/unpaid-bill-procedure.ts";

export interface DriveOptions {
  readonly dueDate: LocalDate;
  readonly from: LocalDate;
  readonly to: LocalDate;
  readonly situation: CustomerSituation | ((day: LocalDate) => CustomerSituation);
  /** Days from sending to receipt per letter; absent = never recorded (default: none). */
  readonly receiptAfter?: Partial<Record<LetterKind, number>>;
  /** Day the balance is paid (nothing overdue from then on). */
  readonly paidOn?: LocalDate;
  readonly balanceTtc?: string;
  readonly policy?: Partial<DunningPolicy>;
}

export interface TakenStep extends RecordedDunningStep {
  readonly decision: DunningDecision;
  /** The receipt the driver will record (maybe after today). */
  readonly receiptOn: LocalDate | null;
}

/** Steps of a procedure, as the engine sees them on `day` (receipts after `day` hidden). */
export function visibleSteps(taken: readonly TakenStep[], day: LocalDate): RecordedDunningStep[] {
  return taken.map((s) => ({
    step: s.step,
    takenOn: s.takenOn,
    letterSentOn: s.letterSentOn ?? null,
    letterReceivedOn: s.receiptOn !== null && s.receiptOn <= day ? s.receiptOn : null,
  }));
}

/** Runs the procedure from `from` to `to` included; returns the steps taken, in order. */
export function driveProcedure(o: DriveOptions): TakenStep[] {
  const taken: TakenStep[] = [];
  for (let day = o.from; day <= o.to; day = addDays(day, 1)) {
    const situation = typeof o.situation === "function" ? o.situation(day) : o.situation;
    for (let guard = 0; guard < 10; guard++) {
      const overdue = o.paidOn !== undefined && day >= o.paidOn ? [] : [{ itemRef: "invoice:FA-1", dueDate: o.dueDate, amountOwedTtc: o.balanceTtc ?? "120.00" }];
      const d = nextDunningStep({ customerId: "CU1", overdue, steps: visibleSteps(taken, day), situation, today: day, ...(o.policy ? { policy: o.policy } : {}) });
      if (!d.mayTakeToday || d.step === null) break;
      const step: DunningStepKind = d.step;
      const after = isLetterStep(step) ? o.receiptAfter?.[step] : undefined;
      taken.push({
        step,
        takenOn: day,
        letterSentOn: isLetterStep(step) ? day : null,
        receiptOn: after === undefined ? null : addDays(day, after),
        decision: d,
      });
    }
  }
  return taken;
}

/** `[takenOn, step]` pairs, for compact expectations. */
export const datesOf = (taken: readonly TakenStep[]): [LocalDate, DunningStepKind][] => taken.map((s) => [s.takenOn, s.step]);
