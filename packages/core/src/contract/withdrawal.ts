/**
 * R8 — CGV 3.6 (droit de rétractation): a contract concluded at a distance or off premises may be
 * withdrawn from within 15 days counted from the day after its conclusion; a deadline on a Saturday,
 * Sunday or public holiday moves to the next business day of the customer's department calendar
 * (Alsace-Moselle adds Good Friday and 26 December). If supply started before the deadline at the
 * customer's express request, subscription, energy and services are owed up to the withdrawal notice
 * (prorated per R1: the final invoice bills up to the notice, the subscription beyond it is
 * credited); otherwise — before supply started, or after a start without that express request —
 * nothing is owed: the contract ends on its first day of supply. The withdrawal ends the contract.
 *
 * Readings (docs/rules.md, "Contract life"): the 15 days run from conclusion + 1 to conclusion + 15,
 * both included, so the deadline is conclusion + 15 before it moves; a notice on the deadline is in
 * time. "Up to the date the customer exercises the right": the contract ends on the notice date
 * (first day no longer owed), the notice day itself not billed — the reading more favourable to the
 * consumer, and the convention of every other end (the new supplier's start date).
 */
import { businessDayOnOrAfter } from "../calendar/holidays.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";

export const RULE_R8_WITHDRAWAL = "R8 · CGV 3.6 (withdrawal: 15 days from the day after conclusion, deadline moved to the next business day)";

/** Days of the withdrawal period (CGV 3.6: 15, longer than the 14-day legal minimum). */
export const WITHDRAWAL_DAYS = 15;

/** The last day a withdrawal notice may be given for a contract concluded on `concludedOn`. */
export function withdrawalDeadline(concludedOn: LocalDate, department?: string): LocalDate {
  return businessDayOnOrAfter(addDays(concludedOn, WITHDRAWAL_DAYS), department);
}

export interface WithdrawalInput {
  readonly concludedOn: LocalDate;
  /** Day the customer gave the withdrawal notice. */
  readonly noticeOn: LocalDate;
  /** The customer's department (Alsace-Moselle: 57, 67, 68); absent = metropolitan calendar. */
  readonly department?: string | undefined;
  /** First day of supply. */
  readonly supplyStart: LocalDate;
  /** The customer expressly asked for supply to start before the deadline (CGV 3.6). */
  readonly expressEarlyStart: boolean;
}

export type WithdrawalDecision =
  | {
      readonly ok: true;
      readonly deadline: LocalDate;
      /** The contract's end (first day no longer supplied or owed). */
      readonly end: LocalDate;
      /** "upToNotice": supply started early at the customer's request, owed up to the notice; "nothing": nothing is owed. */
      readonly owed: "upToNotice" | "nothing";
      readonly explanation: string;
    }
  | { readonly ok: false; readonly deadline: LocalDate; readonly reason: string };

/** Whether a withdrawal notice is in time, when the contract ends and what is owed (R8 · CGV 3.6). */
export function withdrawalDecision(w: WithdrawalInput): WithdrawalDecision {
  const deadline = withdrawalDeadline(w.concludedOn, w.department);
  if (w.noticeOn < w.concludedOn) {
    return { ok: false, deadline, reason: `notice of ${w.noticeOn} is before the conclusion of the contract (${w.concludedOn})` };
  }
  if (w.noticeOn > deadline) {
    return { ok: false, deadline, reason: `notice of ${w.noticeOn} is after the withdrawal deadline ${deadline} (15 days from the day after conclusion on ${w.concludedOn}, moved to a business day) — a termination (CGV 10) instead` };
  }
  const started = w.supplyStart < w.noticeOn;
  if (started && !w.expressEarlyStart) {
    // R8 · CGV 3.6: without the customer's express request for an early start, nothing is
    // owed for the supply before the notice — the contract is undone from its first day (Reading,
    // docs/rules.md): it ends on its start, and whatever was billed is cancelled by credit notes.
    return {
      ok: true,
      deadline,
      end: w.supplyStart,
      owed: "nothing",
      explanation: `Withdrawal notified on ${w.noticeOn}, by the deadline ${deadline}; supply started on ${w.supplyStart} without the customer's express request: nothing is owed, the contract is undone from its first day (every invoice cancelled by a credit note, none replaced)`,
    };
  }
  if (started) {
    return {
      ok: true,
      deadline,
      end: w.noticeOn,
      owed: "upToNotice",
      explanation: `Withdrawal notified on ${w.noticeOn}, by the deadline ${deadline}; supply started on ${w.supplyStart} at the customer's express request: subscription, energy and services owed up to ${w.noticeOn} (R1 proration), the contract ends that day`,
    };
  }
  return {
    ok: true,
    deadline,
    end: w.supplyStart,
    owed: "nothing",
    explanation: `Withdrawal notified on ${w.noticeOn}, by the deadline ${deadline}, before supply started (${w.supplyStart}): nothing is owed, the contract ends before its first day of supply`,
  };
}
