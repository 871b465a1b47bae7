/**
 * R10 — CGV 8, 9; décret 2008-780 (mod. 2023-133); CASF L115-3: the unpaid-bill procedure
 * (procédure d'impayé). One procedure per customer account, run on its overdue balance and opened on
 * its oldest overdue item (Reading: a French supplier dunns the account, not each invoice):
 *
 *   1. reminder (relance) — from the day after the oldest due date (R3);
 *   2. limitation (réduction de puissance) or suspension request to the distributor — once the
 *      reminder has gone unanswered 15 days after its receipt (30 days for social-tariff /
 *      energy-cheque customers and those who received a housing-fund aid, CGV 8.3);
 *   3. formal notice (mise en demeure) — once step 2 is taken;
 *   4. interruption request — once the notice has gone unanswered 20 days after its receipt.
 *
 * Protections: energy-cheque / FSL beneficiaries with a communicating meter are limited to 1 kVA for
 * at least 60 days (outside the truce) before any interruption, at no charge; the winter truce
 * (1 Nov – 31 Mar) forbids cutting a main residence and limiting an energy-cheque beneficiary; a
 * pending FSL application holds everything for at most 2 months, then a cut needs a letter received
 * 20 days before; the distributor's visit fee is not re-billed to protected or vulnerable customers.
 * Each step is computed from the steps already recorded (with their letters' sent / received dates),
 * the customer's situation and the day: a pure function, never a step that breaks R10.
 *
 * A customer no longer supplied (every contract ended — switch, termination, withdrawal; R8 · CGV 10.3:
 * « l'obligation pour le Client de payer l'intégralité des sommes dues ») keeps its procedure to the
 * end, without the steps that act on supply: reminder, then the formal notice once the reminder went
 * unanswered 15 days (30 under CGV 8.3) after its receipt, then nothing further to request — the
 * balance stays owed (recovery). Steps taken while supplied are kept (Reading, docs/rules.md).
 */
import { type LocalDate, addDays, maxDate, monthDay, parts } from "../primitives/dates.ts";
import { compare, dec, formatCents, sum } from "../primitives/money.ts";
import { type CustomerSituation, type HousingFundApplication, type Protections, protectionsOf } from "./customer-situation.ts";
import { addDaysOutsideTruce, isInWinterTruce, winterTruceEnd } from "./winter-truce.ts";

export const RULE_R10 = "R10";

/** The steps of a procedure, in the order they can be recorded. `settled` closes it. */
export const DUNNING_STEPS = ["reminder", "housingFundLetter", "limitation", "suspension", "formalNotice", "interruption", "settled"] as const;
export type DunningStepKind = (typeof DUNNING_STEPS)[number];

/** Steps that are a letter to the customer, whose receipt the engine records. */
export const LETTER_STEPS = ["reminder", "housingFundLetter", "formalNotice"] as const;
export type LetterKind = (typeof LETTER_STEPS)[number];

/** Steps that are a request to the distributor to restrict supply. */
export const RESTRICTION_STEPS = ["limitation", "suspension", "interruption"] as const;
export type RestrictionKind = (typeof RESTRICTION_STEPS)[number];

export const isLetterStep = (s: DunningStepKind): s is LetterKind => (LETTER_STEPS as readonly string[]).includes(s);
export const isRestrictionStep = (s: DunningStepKind): s is RestrictionKind => (RESTRICTION_STEPS as readonly string[]).includes(s);

/** R10 delays, in calendar days. */
export const REMINDER_DELAY_DAYS = 15;
export const EXTENDED_REMINDER_DELAY_DAYS = 30;
export const FORMAL_NOTICE_DELAY_DAYS = 20;
export const HOUSING_FUND_LETTER_DELAY_DAYS = 20;
export const LIMITATION_BEFORE_INTERRUPTION_DAYS = 60;
export const HOUSING_FUND_DECISION_MONTHS = 2;
/** The power a protected customer is limited to (kVA). */
export const PROTECTED_LIMITATION_KVA = "1";

/** A step already recorded for the procedure. */
export interface RecordedDunningStep {
  readonly step: DunningStepKind;
  /** Day the step was taken (letter sent, request made). */
  readonly takenOn: LocalDate;
  /** A letter's sending day (default: takenOn). */
  readonly letterSentOn?: LocalDate | null;
  /** A letter's receipt by the customer, when recorded. */
  readonly letterReceivedOn?: LocalDate | null;
}

/** One item of the customer's account past its due date and still (partly) unpaid on the day. */
export interface OverdueItem {
  /** The ledger's reference of the item (e.g. "invoice:FA-000123", "instalment:K1/K1-2025-09-01/4"). */
  readonly itemRef: string;
  readonly dueDate: LocalDate;
  /** What is still owed on it, € TTC, a decimal string. */
  readonly amountOwedTtc: string;
}

/** The customer's overdue balance on the day: what the procedure is run on. */
export interface OverdueBalance {
  /** The oldest overdue item (invoice, instalment…): it opens the procedure. */
  readonly oldestItemRef: string;
  readonly oldestDueDate: LocalDate;
  /** Σ amounts still owed on items past their due date, € TTC, a decimal string. */
  readonly balanceTtc: string;
}

/** The balance of `items` and its oldest item (earliest due date, then item reference); null when none. */
export function overdueBalanceOf(items: readonly OverdueItem[]): OverdueBalance | null {
  if (items.length === 0) return null;
  let oldest = items[0]!;
  for (const i of items) if (i.dueDate < oldest.dueDate || (i.dueDate === oldest.dueDate && i.itemRef < oldest.itemRef)) oldest = i;
  return { oldestItemRef: oldest.itemRef, oldestDueDate: oldest.dueDate, balanceTtc: formatCents(sum(items.map((i) => dec(i.amountOwedTtc)))) };
}

/** What a supplier chooses where R10 leaves room. */
export interface DunningPolicy {
  /**
   * Days after sending at which a letter without a recorded receipt is presumed received; null = the
   * step after it waits for a recorded receipt (default: reminder 5, housing-fund letter 5, formal
   * notice null — a registered letter with its acknowledgement or first-presentation date).
   */
  readonly presumedReceiptDays: Readonly<Record<LetterKind, number | null>>;
  /** Step 2 when R10 leaves the choice (default: "suspension", the CGV 9.1 wording). */
  readonly restrictionMode: "limitation" | "suspension";
  /** The procedure runs while the overdue balance is at least this much, € TTC (default: "0.01"). */
  readonly minimumBalanceTtc: string;
}

export const DEFAULT_DUNNING_POLICY: DunningPolicy = {
  presumedReceiptDays: { reminder: 5, housingFundLetter: 5, formalNotice: null },
  restrictionMode: "suspension",
  minimumBalanceTtc: "0.01",
};

export interface DunningInput {
  readonly customerId: string;
  /** The customer's items past their due date and still owed on `today` (empty: nothing overdue). */
  readonly overdue: readonly OverdueItem[];
  /** The procedure's recorded steps (empty: none opened yet). */
  readonly steps: readonly RecordedDunningStep[];
  readonly situation: CustomerSituation;
  readonly today: LocalDate;
  readonly policy?: Partial<DunningPolicy>;
}

export type DunningBlockReason =
  | "delay" // a legal delay is still running
  | "awaitingReceipt" // a letter's receipt is not known yet
  | "winterTruce"
  | "housingFundPending"
  | "limitationNotServed";

/** Why the next step cannot be taken today. `until`: the day the block lifts (null: not known yet). */
export interface DunningBlock {
  readonly reason: DunningBlockReason;
  readonly until: LocalDate | null;
  readonly message: string;
}

export type DunningOutcome =
  | "nothingOverdue" // no procedure, nothing to open
  | "step" // the next step (possibly blocked)
  | "settle" // the balance is paid: record `settled`, the procedure stops
  | "complete" // interruption requested: nothing further until the balance is paid
  | "closed"; // already settled

export interface DunningDecision {
  readonly outcome: DunningOutcome;
  readonly customerId: string;
  /** The next step (outcome "step" or "settle"), else null. */
  readonly step: DunningStepKind | null;
  /** The first day, on or after today, the step may be taken; null when it cannot be known yet. */
  readonly earliestDate: LocalDate | null;
  readonly mayTakeToday: boolean;
  readonly rule: typeof RULE_R10;
  readonly legalBasis: string;
  readonly explanation: string;
  readonly blockedBy: readonly DunningBlock[];
  /** For a restriction step: may the distributor's visit fee be re-billed (CGV 9.1, R9)? null otherwise. */
  readonly feeRebillable: boolean | null;
  /** The figures and dates the decision used (strings). */
  readonly inputs: Readonly<Record<string, string>>;
}

/** The legal basis recorded with each step. */
export const LEGAL_BASIS: Readonly<Record<DunningStepKind, string>> = {
  reminder: "CGV 9.1; décret 2008-780 (mod. 2023-133) — reminder after the due date (CGV 6.4): 15 days from its receipt (30 under CGV 8.3) before a limitation or suspension",
  housingFundLetter: "CGV 8.2; décret 2008-780 (mod. 2023-133) — no FSL decision within 2 months of the application: suspension possible 20 days after this letter",
  limitation: "CGV 9.1, 8.3; décret 2008-780 (mod. 2023-133) — power limitation after the reminder unanswered 15 days (30 under CGV 8.3) from its receipt",
  suspension: "CGV 9.1, 8.3; décret 2008-780 (mod. 2023-133); CASF L115-3 — suspension after the reminder unanswered 15 days (30 under CGV 8.3) from its receipt",
  formalNotice: "CGV 9.1 — formal notice (mise en demeure): interruption possible 20 days after its receipt",
  interruption: "CGV 9.1; décret 2008-780 (mod. 2023-133); CASF L115-3 — interruption after the formal notice unanswered 20 days from its receipt; never a main residence in the winter truce",
  settled: "R10 — the overdue balance is paid: the procedure stops",
};

/** The customer's FSL state on a day. */
interface HousingFundState {
  /** The latest application filed on or before the day and not decided by then. */
  readonly pending: HousingFundApplication | null;
  /** First day after the pending application's 2 months without a decision. */
  readonly windowEnd: LocalDate | null;
  /** The latest decision on or before the day. */
  readonly lastDecision: LocalDate | null;
}

function housingFundState(s: CustomerSituation, day: LocalDate): HousingFundState {
  let pending: HousingFundApplication | null = null;
  let lastDecision: LocalDate | null = null;
  for (const a of s.housingFundApplications) {
    if (a.filedOn > day) continue;
    if (a.decidedOn != null && a.decidedOn <= day) {
      if (lastDecision === null || a.decidedOn > lastDecision) lastDecision = a.decidedOn;
    } else if (pending === null || a.filedOn > pending.filedOn) {
      pending = a;
    }
  }
  const windowEnd = pending ? addDays(monthDay(pending.filedOn, HOUSING_FUND_DECISION_MONTHS, parts(pending.filedOn).day), 1) : null;
  return { pending, windowEnd, lastDecision };
}

/** A letter's receipt: the recorded day, else the presumed one, else null (wait for it). */
function receiptOf(s: RecordedDunningStep, kind: LetterKind, policy: DunningPolicy): { on: LocalDate; presumed: boolean } | null {
  if (s.letterReceivedOn) return { on: s.letterReceivedOn, presumed: false };
  const n = policy.presumedReceiptDays[kind];
  return n === null ? null : { on: addDays(s.letterSentOn ?? s.takenOn, n), presumed: true };
}

/** Step 2's kind on day `d`: limitation or suspension. */
function restrictionModeOn(d: LocalDate, s: CustomerSituation, p: Protections, policy: DunningPolicy): "limitation" | "suspension" {
  if (p.limitedFirst) return "limitation";
  if (policy.restrictionMode === "limitation") return "limitation";
  // In the truce a main residence cannot be cut; a limitation is still allowed (not to energy-cheque beneficiaries).
  if (s.mainResidence && isInWinterTruce(d) && !p.energyChequeLike) return "limitation";
  return "suspension";
}

/** True when the truce forbids `step` on `d` for this customer. */
function truceForbids(step: DunningStepKind, d: LocalDate, s: CustomerSituation, p: Protections): boolean {
  if (!isInWinterTruce(d)) return false;
  if (step === "suspension" || step === "interruption") return s.mainResidence;
  if (step === "limitation") return p.energyChequeLike;
  return false;
}

/** The legal basis of a procedure whose customer is no longer supplied. */
const LEGAL_BASIS_NOT_SUPPLIED = "CGV 9.1, 10.3 — contract ended: the sums due stay owed; no supply left to limit, suspend or interrupt";

const closedOrNothing = (outcome: "nothingOverdue" | "closed" | "complete", input: DunningInput, explanation: string): DunningDecision => ({
  outcome,
  customerId: input.customerId,
  step: null,
  earliestDate: null,
  mayTakeToday: false,
  rule: RULE_R10,
  legalBasis: outcome === "complete" ? LEGAL_BASIS.interruption : LEGAL_BASIS.settled,
  explanation,
  blockedBy: [],
  feeRebillable: null,
  inputs: { today: input.today },
});

/** The procedure's `settled` step, to record today: it stops, saying why. */
const settleToday = (input: DunningInput, explanation: string, inputs: Record<string, string>): DunningDecision => ({
  ...closedOrNothing("closed", input, ""),
  outcome: "settle",
  step: "settled",
  earliestDate: input.today,
  mayTakeToday: true,
  explanation,
  inputs,
});

/**
 * R10: the procedure's next step on `input.today`, its earliest date, whether it may be taken today,
 * its legal basis, and what blocks it. Pure: the caller records the step when `mayTakeToday`.
 */
export function nextDunningStep(input: DunningInput): DunningDecision {
  const policy: DunningPolicy = { ...DEFAULT_DUNNING_POLICY, ...input.policy };
  const { today, situation, steps } = input;
  const find = (k: DunningStepKind): RecordedDunningStep | undefined => steps.find((s) => s.step === k);

  if (find("settled")) return closedOrNothing("closed", input, "The procedure was closed when the overdue balance was paid.");
  const balance = overdueBalanceOf(input.overdue);
  const owed = balance ? dec(balance.balanceTtc) : null;
  if (owed === null || compare(owed, dec(policy.minimumBalanceTtc)) < 0) {
    if (steps.length === 0) return closedOrNothing("nothingOverdue", input, "Nothing overdue: no procedure.");
    const left = owed === null ? "0.00" : formatCents(owed);
    return settleToday(input, `The overdue balance is ${left} € on ${today} (under ${policy.minimumBalanceTtc} €): the procedure stops.`, {
      today, balanceTtc: left, minimumBalanceTtc: policy.minimumBalanceTtc,
    });
  }
  const overdue = balance!;
  if (find("interruption")) {
    return closedOrNothing("complete", input, "Interruption requested: nothing further until the overdue balance is paid.");
  }
  // R10 · CGV 8: every step answers the reminder (and the formal notice) about a debt. When every item
  // overdue today fell due on or after the day the reminder was sent, the debt it was about is paid:
  // this procedure stops, and the items overdue now get a procedure of their own, with its own reminder
  // and delays (an item already overdue when the reminder went out joins the running procedure).
  const sentReminder = find("reminder");
  const remindedOn = sentReminder ? (sentReminder.letterSentOn ?? sentReminder.takenOn) : null;
  if (remindedOn !== null && overdue.oldestDueDate >= remindedOn) {
    return settleToday(
      input,
      `The debt the reminder of ${remindedOn} was about is paid: the oldest item overdue on ${today}, ${overdue.oldestItemRef}, ` +
        `fell due on ${overdue.oldestDueDate}, after it. The procedure stops; ${formatCents(owed)} € overdue starts a procedure of its own, with its own reminder.`,
      { today, balanceTtc: formatCents(owed), oldestItemRef: overdue.oldestItemRef, oldestDueDate: overdue.oldestDueDate, reminderSentOn: remindedOn },
    );
  }

  const p = protectionsOf(situation, today);
  const fund = housingFundState(situation, today);
  const blocks: DunningBlock[] = [];
  const inputs: Record<string, string> = {
    today,
    oldestItemRef: overdue.oldestItemRef,
    oldestDueDate: overdue.oldestDueDate,
    balanceTtc: formatCents(owed),
    mainResidence: String(situation.mainResidence),
    energyChequeOrSocialTariff: String(p.energyChequeLike),
    housingFundAid: String(p.housingFundAid),
    communicatingMeter: String(situation.communicatingMeter),
  };
  const why: string[] = [];
  /** Raises `base` to `d` and records the block when that day is after today. */
  const atLeast = (base: LocalDate | null, d: LocalDate, reason: DunningBlockReason, message: string): LocalDate | null => {
    if (base === null) return null;
    if (d > today && d > base) blocks.push({ reason, until: d, message });
    return maxDate(base, d);
  };
  const waitFor = (reason: DunningBlockReason, message: string): null => {
    blocks.push({ reason, until: null, message });
    return null;
  };

  const reminder = find("reminder");
  const restriction = find("limitation") ?? find("suspension");
  const notice = find("formalNotice");

  // The step that comes next in the sequence, and the day its legal delay ends.
  let step: DunningStepKind | "restriction";
  let base: LocalDate | null;
  /** The step is a limitation that restores a suspended customer's supply at 1 kVA: never held back by an FSL application. */
  let restoring = false;
  if (!reminder) {
    step = "reminder";
    base = addDays(overdue.oldestDueDate, 1);
    why.push(`the oldest overdue item ${overdue.oldestItemRef} was due on ${overdue.oldestDueDate}`);
    if (base > today) blocks.push({ reason: "delay", until: base, message: `not overdue before ${base}` });
  } else if (notice && situation.supplied === false) {
    return {
      ...closedOrNothing("complete", input, `No contract of the customer is in supply on ${today}: no limitation, suspension or interruption to request; after the formal notice of ${notice.takenOn} the overdue balance stays owed until paid (recovery).`),
      legalBasis: LEGAL_BASIS_NOT_SUPPLIED,
    };
  } else if (!restriction && situation.supplied === false) {
    // R8/R10: nothing to limit or suspend; the formal notice follows the reminder's delay.
    step = "formalNotice";
    const delay = p.extendedDelay ? EXTENDED_REMINDER_DELAY_DAYS : REMINDER_DELAY_DAYS;
    inputs["reminderDelayDays"] = String(delay);
    inputs["supplied"] = "false";
    const r = receiptOf(reminder, "reminder", policy);
    if (r === null) {
      base = waitFor("awaitingReceipt", `the reminder sent on ${reminder.letterSentOn ?? reminder.takenOn} has no recorded receipt`);
    } else {
      inputs["reminderReceivedOn"] = r.on + (r.presumed ? " (presumed)" : "");
      base = addDays(r.on, delay + 1);
      why.push(`no contract in supply (ended): no limitation or suspension to request; the reminder received on ${r.on}${r.presumed ? " (presumed)" : ""} went unanswered ${delay} days`);
      if (base > today) blocks.push({ reason: "delay", until: base, message: `${delay} days from the reminder's receipt on ${r.on} run to ${addDays(base, -1)}` });
    }
  } else if (!restriction) {
    step = "restriction";
    const delay = p.extendedDelay ? EXTENDED_REMINDER_DELAY_DAYS : REMINDER_DELAY_DAYS;
    inputs["reminderDelayDays"] = String(delay);
    const r = receiptOf(reminder, "reminder", policy);
    if (r === null) {
      base = waitFor("awaitingReceipt", `the reminder sent on ${reminder.letterSentOn ?? reminder.takenOn} has no recorded receipt`);
    } else {
      inputs["reminderReceivedOn"] = r.on + (r.presumed ? " (presumed)" : "");
      base = addDays(r.on, delay + 1);
      why.push(`the reminder received on ${r.on}${r.presumed ? " (presumed)" : ""} went unanswered ${delay} days${p.extendedDelay ? " (CGV 8.3: social tariff, energy cheque or housing-fund aid)" : ""}`);
      if (base > today) blocks.push({ reason: "delay", until: base, message: `${delay} days from the reminder's receipt on ${r.on} run to ${addDays(base, -1)}` });
    }
  } else if (!notice) {
    step = "formalNotice";
    base = restriction.takenOn;
    why.push(`the ${restriction.step} was requested on ${restriction.takenOn}`);
  } else {
    step = "interruption";
    const r = receiptOf(notice, "formalNotice", policy);
    if (r === null) {
      base = waitFor("awaitingReceipt", `the formal notice sent on ${notice.letterSentOn ?? notice.takenOn} has no recorded receipt`);
    } else {
      inputs["formalNoticeReceivedOn"] = r.on + (r.presumed ? " (presumed)" : "");
      base = addDays(r.on, FORMAL_NOTICE_DELAY_DAYS + 1);
      why.push(`the formal notice received on ${r.on}${r.presumed ? " (presumed)" : ""} went unanswered ${FORMAL_NOTICE_DELAY_DAYS} days`);
      if (base > today) blocks.push({ reason: "delay", until: base, message: `${FORMAL_NOTICE_DELAY_DAYS} days from the formal notice's receipt on ${r.on} run to ${addDays(base, -1)}` });
    }
    if (p.limitedFirst) {
      const limitation = find("limitation");
      if (!limitation && restriction.step === "suspension") {
        // Suspended before the customer became protected (energy cheque, FSL aid granted later): the
        // 60 days at 1 kVA still come before any interruption (décret 2008-780) — the next step is
        // the limitation (supply restored at 1 kVA), from today; the interruption counts from it.
        step = "limitation";
        restoring = true;
        base = today;
        why.length = 0;
        blocks.length = 0;
        why.push(`the customer, suspended on ${restriction.takenOn}, is now an energy-cheque or FSL beneficiary with a communicating meter: limited to ${PROTECTED_LIMITATION_KVA} kVA for ${LIMITATION_BEFORE_INTERRUPTION_DAYS} days before any interruption`);
      } else if (!limitation) {
        base = waitFor("limitationNotServed", `an energy-cheque or FSL beneficiary with a communicating meter is limited to ${PROTECTED_LIMITATION_KVA} kVA for ${LIMITATION_BEFORE_INTERRUPTION_DAYS} days before any interruption; no limitation was recorded`);
      } else {
        const served = addDays(addDaysOutsideTruce(limitation.takenOn, LIMITATION_BEFORE_INTERRUPTION_DAYS), 1);
        inputs["limitedSince"] = limitation.takenOn;
        inputs["limitationServedOn"] = served;
        why.push(`the ${PROTECTED_LIMITATION_KVA} kVA limitation requested on ${limitation.takenOn} has run ${LIMITATION_BEFORE_INTERRUPTION_DAYS} days outside the winter truce by ${addDays(served, -1)}`);
        base = atLeast(base, served, "limitationNotServed", `${LIMITATION_BEFORE_INTERRUPTION_DAYS} days at ${PROTECTED_LIMITATION_KVA} kVA (outside the winter truce) from ${limitation.takenOn} are served on ${addDays(served, -1)}`);
      }
    }
  }

  // A pending FSL application holds everything for 2 months; then a cut needs a letter received 20 days before.
  if (fund.pending && fund.windowEnd && !restoring) {
    inputs["housingFundFiledOn"] = fund.pending.filedOn;
    inputs["housingFundWindowEnd"] = fund.windowEnd;
    if (step === "restriction" || step === "interruption") {
      const letter = find("housingFundLetter");
      if (!letter) {
        step = "housingFundLetter";
        base = fund.windowEnd;
        why.length = 0;
        blocks.length = 0; // the step 2 / interruption delays are not this letter's
        why.push(`the FSL application filed on ${fund.pending.filedOn} has no decision after ${HOUSING_FUND_DECISION_MONTHS} months`);
        if (base > today) blocks.push({ reason: "housingFundPending", until: base, message: `FSL application filed on ${fund.pending.filedOn} pending: supply kept on until ${addDays(base, -1)} at least` });
      } else if (letter.takenOn < fund.windowEnd) {
        base = waitFor("housingFundPending", `the housing-fund letter of ${letter.takenOn} predates the 2 months of the FSL application filed on ${fund.pending.filedOn}; supply stays on until the FSL decides`);
      } else {
        const r = receiptOf(letter, "housingFundLetter", policy);
        if (r === null) base = waitFor("awaitingReceipt", `the housing-fund letter sent on ${letter.letterSentOn ?? letter.takenOn} has no recorded receipt`);
        else {
          inputs["housingFundLetterReceivedOn"] = r.on + (r.presumed ? " (presumed)" : "");
          why.push(`the housing-fund letter received on ${r.on} gave ${HOUSING_FUND_LETTER_DELAY_DAYS} days`);
          base = atLeast(base, addDays(r.on, HOUSING_FUND_LETTER_DELAY_DAYS + 1), "housingFundPending", `${HOUSING_FUND_LETTER_DELAY_DAYS} days from the housing-fund letter's receipt on ${r.on} run to ${addDays(r.on, HOUSING_FUND_LETTER_DELAY_DAYS)}`);
        }
      }
    } else {
      base = atLeast(base, fund.windowEnd, "housingFundPending", `FSL application filed on ${fund.pending.filedOn} pending: everything held until ${addDays(fund.windowEnd, -1)} at least`);
    }
  }

  // After an FSL decision the procedure resumes the next day.
  if (fund.lastDecision !== null) {
    base = atLeast(base, addDays(fund.lastDecision, 1), "housingFundPending", `the FSL decided on ${fund.lastDecision}: the procedure resumes the next day`);
  }
  // The day on or after max(base, today) the step may be taken: the truce may forbid it, and step 2's kind depends on the day.
  let earliest: LocalDate | null = null;
  let kind: DunningStepKind = step === "restriction" ? restrictionModeOn(maxDate(base ?? today, today), situation, p, policy) : step;
  if (base !== null) {
    let d = maxDate(base, today);
    for (let i = 0; i < 3; i++) {
      kind = step === "restriction" ? restrictionModeOn(d, situation, p, policy) : step;
      if (!truceForbids(kind, d, situation, p)) break;
      const end = winterTruceEnd(d);
      blocks.push({
        reason: "winterTruce",
        until: end,
        message: kind === "limitation"
          ? `winter truce: no power limitation of an energy-cheque beneficiary before ${end}`
          : `winter truce: no ${kind} of a main residence before ${end}`,
      });
      d = end;
    }
    earliest = d;
  }
  if (kind === "limitation" && p.limitedFirst) inputs["limitKva"] = PROTECTED_LIMITATION_KVA;
  const mayTakeToday = earliest === today;
  const feeRebillable = isRestrictionStep(kind) ? !p.noVisitFee : null;
  const label: Record<DunningStepKind, string> = {
    reminder: "Reminder letter",
    housingFundLetter: "Housing-fund letter",
    limitation: p.limitedFirst ? `Limitation to ${PROTECTED_LIMITATION_KVA} kVA` : "Power limitation request",
    suspension: "Suspension request",
    formalNotice: "Formal notice",
    interruption: "Interruption request",
    settled: "Settled",
  };
  const when = earliest === null ? "cannot be dated yet" : mayTakeToday ? `on ${today}` : `may be taken from ${earliest}`;
  why.push(`overdue balance ${formatCents(owed)} €`);
  const fee = feeRebillable === null ? "" : feeRebillable ? " The distributor's visit fee is re-billed (R9)." : " The distributor's visit fee is not re-billed (CGV 9.1: protected or vulnerable customer).";
  const blockText = blocks.length > 0 && !mayTakeToday ? ` Blocked: ${blocks.map((b) => b.message).join("; ")}.` : "";
  return {
    outcome: "step",
    customerId: input.customerId,
    step: kind,
    earliestDate: earliest,
    mayTakeToday,
    rule: RULE_R10,
    legalBasis: LEGAL_BASIS[kind],
    explanation: `${label[kind]} ${when}${why.length > 0 ? `: ${why.join("; ")}` : ""}.${blockText}${fee}`,
    blockedBy: mayTakeToday ? [] : blocks,
    feeRebillable,
    inputs,
  };
}
