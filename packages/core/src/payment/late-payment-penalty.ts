/**
 * R3 — CGV 6.4: late-payment penalties (pénalités de retard). « Toute somme non payée à l'échéance
 * donne lieu au paiement par le Client de pénalités de retard fixées à une fois et demie le taux de
 * l'intérêt légal … Ces pénalités ne peuvent être inférieures à 7,50 € TTC. »
 *
 * Residential customer: late days run from due date + 1 to the receipt date of the last payment, both
 * included. Interest for a late day d = amount owed at the start of d (a payment received on d
 * reduces the balance from d + 1) × 1.5 × the legal interest rate in force on d for "other cases"
 * (the creditor is the supplier, a company) ÷ 365 (365 in leap years too). The item's sum is
 * rounded once to the cent, half-up; with at least one late day the penalty is max(7.50, sum). No
 * VAT: an indemnity (CGI art. 256).
 *
 * Professional customer (R3 "Scope"; Code de commerce L441-10, D441-5): the offer's annual rate,
 * never below 3 × the legal rate ("other cases", the default when the offer names none), the same
 * day count and one rounding, no 7.50 floor, plus a flat 40 € recovery indemnity per item paid late,
 * as its own line. Both without VAT.
 *
 * Every penalty carries its computation: the segments of equal balance and rate (from, to, days,
 * balance, legal rate, applied rate, interest before rounding), the raw sum, the floor and the result.
 */
import { type LocalDate, addDays, daysBetween } from "../primitives/dates.ts";
import { type Dec, ZERO, add, compare, dec, div, eq, formatCents, formatPlain, max, mul, quantize, roundToCent, sum } from "../primitives/money.ts";
import { type CreditorKind, type LegalInterestRateEntry, type LegalInterestRateGap, legalInterestRateAt } from "./legal-interest-rate.ts";
import { owedAtStartOf } from "./ledger.ts";

export const RULE_R3 = "R3 · CGV 6.4 (late-payment penalty: 1.5 × legal rate ÷ 365 per late day, floor 7.50 €, no VAT)";
export const RULE_R3_PRO = "R3 · Code de commerce L441-10 (professional: offer rate ≥ 3 × legal rate ÷ 365 per late day, no floor, no VAT)";
export const RULE_R3_INDEMNITY = "R3 · Code de commerce L441-10, D441-5 (flat recovery indemnity of 40 € per invoice paid late, no VAT)";

/** R3: the floor of a residential penalty once any day is late, € (no VAT). */
export const PENALTY_FLOOR = "7.50";
/** R3 professional: the flat recovery indemnity per item paid late, € (no VAT). */
export const RECOVERY_INDEMNITY = "40.00";
/** Days in the year the daily interest divides by, leap years too (RULES.md R3, Reading). */
export const DAYS_PER_YEAR = 365;

/** Money received for the item: it counts from the day after its receipt date. */
export interface Receipt {
  readonly date: LocalDate;
  readonly amount: string;
}

export interface InterestSegment {
  /** First and last late day of the segment, both included. */
  readonly from: LocalDate;
  readonly to: LocalDate;
  readonly days: number;
  /** Amount owed at the start of each day of the segment. */
  readonly balance: string;
  /** The legal interest rate in force (percent a year) and the rate applied (percent a year). */
  readonly legalRatePct: string;
  readonly appliedRatePct: string;
  /** balance × applied rate ÷ 100 × days ÷ 365, before rounding. */
  readonly interest: string;
}

export interface InterestComputation {
  readonly dueDate: LocalDate;
  /** The day the item was settled (receipt of the last payment). */
  readonly settledOn: LocalDate;
  readonly daysLate: number;
  readonly creditor: CreditorKind;
  /** How the applied rate follows from the legal one, e.g. "1.5 × legal rate (other cases)". */
  readonly rateBasis: string;
  readonly segments: readonly InterestSegment[];
  /** Σ segment interest, before rounding. */
  readonly rawSum: string;
  /** rawSum rounded to the cent, half-up (once per item). */
  readonly rounded: string;
  /** The floor applied, or null (professional). */
  readonly floor: string | null;
  /** The penalty: max(floor, rounded) or rounded. */
  readonly amount: string;
}

export interface RatesInput {
  readonly rates: readonly LegalInterestRateEntry[];
  readonly gaps?: readonly LegalInterestRateGap[];
}

/**
 * The interest of an amount owed from `dueDate + 1` to `settledOn` (both included), day by day, with
 * `appliedRate(legal)` the annual rate applied to the legal rate of each day. Throws BillingError
 * (MISSING_REFERENCE, naming the day) when a late day has no published legal rate.
 */
export function lateInterest(args: {
  readonly amount: string;
  readonly dueDate: LocalDate;
  readonly settledOn: LocalDate;
  readonly receipts: readonly Receipt[];
  readonly creditor: CreditorKind;
  readonly appliedRate: (legalPct: Dec) => Dec;
  readonly rateBasis: string;
  readonly floor: string | null;
} & RatesInput): InterestComputation {
  const { dueDate, settledOn } = args;
  const daysLate = Math.max(0, daysBetween(dueDate, settledOn));
  const total = dec(args.amount);
  const segments: { from: LocalDate; to: LocalDate; days: number; balance: Dec; legal: Dec; applied: Dec }[] = [];
  for (let i = 1; i <= daysLate; i++) {
    const day = addDays(dueDate, i);
    // Never below zero: money beyond the item's amount is a credit of the account, not negative interest.
    const balance = max(ZERO, owedAtStartOf({ amount: total, allocations: args.receipts }, day));
    const legal = legalInterestRateAt(args.rates, day, args.creditor, args.gaps ?? []).ratePct;
    const last = segments.at(-1);
    if (last && eq(last.balance, balance) && eq(last.legal, legal)) {
      last.to = day;
      last.days += 1;
    } else {
      segments.push({ from: day, to: day, days: 1, balance, legal, applied: args.appliedRate(legal) });
    }
  }
  // Σ balance × rate × days is exact (finite decimals); it is divided by 36,500 once. Dividing each
  // segment first and adding the quotients (each cut at the working precision, 36,500 = 2² × 5³ × 73)
  // can land a total of exactly x.xx5 on x.xx4999…, a cent short after the half-up rounding.
  const divisor = dec(100 * DAYS_PER_YEAR);
  const withInterest = segments.map((s) => {
    const numerator = mul(mul(s.balance, s.applied), dec(s.days));
    return { ...s, numerator, interest: div(numerator, divisor) };
  });
  const rawSum = div(sum(withInterest.map((s) => s.numerator)), divisor);
  const rounded = roundToCent(rawSum);
  const amount = daysLate === 0 ? ZERO : args.floor === null ? rounded : max(dec(args.floor), rounded);
  return {
    dueDate,
    settledOn,
    daysLate,
    creditor: args.creditor,
    rateBasis: args.rateBasis,
    segments: withInterest.map((s) => ({
      from: s.from,
      to: s.to,
      days: s.days,
      balance: formatCents(s.balance),
      legalRatePct: formatPlain(s.legal),
      appliedRatePct: formatPlain(s.applied),
      interest: formatPlain(quantize(s.interest)),
    })),
    rawSum: formatPlain(quantize(rawSum)),
    rounded: formatCents(rounded),
    floor: args.floor,
    amount: formatCents(amount),
  };
}

/** A computed charge, ready to be recorded and billed on the next invoice (its own line, no VAT). */
export interface ComputedCharge {
  readonly kind: "latePaymentPenalty" | "recoveryIndemnity" | "lateRefundPenalty";
  /** Positive: owed by the customer; negative: owed to the customer (late refund). */
  readonly amount: string;
  readonly rule: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly explanation: string;
  readonly computation:
    | InterestComputation
    | { readonly flat: string; readonly daysLate: number }
    /** A correction (penalty-correction.ts): what was charged, what is due now and its computation. */
    | { readonly charged: string; readonly due: string; readonly difference: string; readonly now: unknown };
}

/** The structured inputs of an interest computation: strings only (STYLE 7). */
export function interestInputs(itemRef: string, amount: string, c: InterestComputation): Record<string, string> {
  const out: Record<string, string> = {
    amountOwed: amount,
    creditor: c.creditor,
    daysLate: String(c.daysLate),
    dueDate: c.dueDate,
    floor: c.floor ?? "none",
    item: itemRef,
    rateBasis: c.rateBasis,
    rawSum: c.rawSum,
    rounded: c.rounded,
    settledOn: c.settledOn,
  };
  c.segments.forEach((s, i) => {
    out[`segment${String(i + 1).padStart(2, "0")}`] =
      `${s.from}..${s.to}: ${s.days} d × ${s.balance} € × ${s.appliedRatePct} % (legal ${s.legalRatePct} %) ÷ 365 = ${s.interest}`;
  });
  return out;
}

function segmentsSentence(c: InterestComputation): string {
  return c.segments.map((s) => `${s.days} d on ${s.balance} € at ${s.appliedRatePct} %`).join(", ");
}

export interface LatePaymentInput extends RatesInput {
  /** "invoice:FA-2025-000001", "instalment:…": what was paid late. */
  readonly itemRef: string;
  readonly itemLabel: string;
  /** The item's amount TTC, > 0. */
  readonly amount: string;
  readonly dueDate: LocalDate;
  /** The money allocated to the item (ledger.ts allocate()), with receipt dates. */
  readonly receipts: readonly Receipt[];
  /** Receipt date of the payment that settled the item. */
  readonly settledOn: LocalDate;
  readonly customerKind: "residential" | "professional";
  /** Professional: the offer's late-payment rate, percent a year (absent = 3 × legal rate). */
  readonly offerRatePct?: string | undefined;
}

/**
 * R3: the penalty (and, for a professional, the recovery indemnity) of an item settled on
 * `settledOn`; [] when it was paid by its due date. Throws BillingError on a day without a legal rate.
 */
export function latePaymentCharges(p: LatePaymentInput): ComputedCharge[] {
  if (p.settledOn <= p.dueDate) return [];
  if (p.customerKind === "residential") {
    const c = lateInterest({
      ...p,
      creditor: "other",
      appliedRate: (legal) => mul(legal, dec("1.5")),
      rateBasis: "1.5 × legal rate (other cases: the creditor is the supplier)",
      floor: PENALTY_FLOOR,
    });
    const floored = compare(dec(c.rounded), dec(PENALTY_FLOOR)) < 0;
    return [{
      kind: "latePaymentPenalty",
      amount: c.amount,
      rule: RULE_R3,
      inputs: interestInputs(p.itemRef, p.amount, c),
      explanation:
        `Late-payment penalty on ${p.itemLabel} (${p.amount} € due ${p.dueDate}, settled ${p.settledOn}): ${c.daysLate} days late — ` +
        `${segmentsSentence(c)} — interest ${c.rounded} €` +
        (floored ? `, below the 7.50 € floor: 7.50 €.` : `: ${c.amount} €.`) + " No VAT.",
      computation: c,
    }];
  }
  const offer = p.offerRatePct === undefined ? null : dec(p.offerRatePct);
  const c = lateInterest({
    ...p,
    creditor: "other",
    appliedRate: (legal) => (offer === null ? mul(legal, dec(3)) : max(offer, mul(legal, dec(3)))),
    rateBasis: offer === null ? "3 × legal rate (other cases; the offer names no rate)" : `max(offer rate ${p.offerRatePct} %, 3 × legal rate (other cases))`,
    floor: null,
  });
  const out: ComputedCharge[] = [];
  if (compare(dec(c.amount), ZERO) > 0) {
    out.push({
      kind: "latePaymentPenalty",
      amount: c.amount,
      rule: RULE_R3_PRO,
      inputs: interestInputs(p.itemRef, p.amount, c),
      explanation:
        `Late-payment penalty on ${p.itemLabel} (${p.amount} € due ${p.dueDate}, settled ${p.settledOn}): ${c.daysLate} days late — ` +
        `${segmentsSentence(c)} (${c.rateBasis}) — ${c.amount} €, no floor for a professional customer. No VAT.`,
      computation: c,
    });
  }
  out.push({
    kind: "recoveryIndemnity",
    amount: RECOVERY_INDEMNITY,
    rule: RULE_R3_INDEMNITY,
    inputs: { daysLate: String(c.daysLate), dueDate: p.dueDate, item: p.itemRef, settledOn: p.settledOn },
    explanation: `Flat recovery indemnity for ${p.itemLabel}, paid ${c.daysLate} days late by a professional customer: 40.00 €. No VAT.`,
    computation: { flat: RECOVERY_INDEMNITY, daysLate: c.daysLate },
  });
  return out;
}

/** Σ of charge amounts (exact), for totals. */
export const chargesTotal = (charges: readonly { amount: string }[]): Dec => charges.reduce<Dec>((a, c) => add(a, dec(c.amount)), ZERO);
