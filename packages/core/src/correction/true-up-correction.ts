/**
 * R5 — CGV 6.6 (« Toute régularisation … donne lieu à l'émission d'un avoir et d'une nouvelle facture »)
 * applied to R1 — CGV 6.1's annual true-up of a smoothed contract (« une facture de régularisation annuelle
 * établie sur la base des consommations réelles »): the correction of an issued true-up, or final true-up,
 * when the data it measured the year on was wrong — the commonest case, the distributor correcting an index
 * the true-up used, or a distributor read found later.
 *
 * - **Replay discipline.** The replacing true-up is the true-up the engine that issued the original computes
 *   on the corrected data: the night that issued it runs again (dueSmoothedDocuments) on its stored case with
 *   the what-if applied, with the rules of the issued engine version (ruleset.ts), and its true-up of the
 *   same billing date is taken. Stored with that engine version, it replays as issued.
 * - **The instalments deducted are the same as issued.** Instalment notices are payment requests, not
 *   invoices: they are never corrected. A recomputation that would deduct other instalments (or another
 *   carried credit) than the true-up it replaces — a readjustment made the same night moved by the corrected
 *   data — is not a correction of this true-up: it fails with the reason, nothing is issued for it.
 * - **The credit note cancels the original in full** (credit-note.ts): the year's every line, VAT group and
 *   TTC. The instalments it deducted are payments on account, kept: the credit note gives back their
 *   deduction (its `trueUp` section: instalments deducted, and the balance it cancels = − the original's
 *   balance), the replacing true-up deducts them again. The account moves by the difference of the balances,
 *   which — same instalments — is the difference of the TTC.
 * - **The difference is settled as R3/R4 say**, on the correction's issue date: the original's balance was
 *   settled as issued (paid, refunded, or carried into the next notices) and stays so; the replacing true-up's
 *   `settlement` settles the difference only — a debit payable at issue + 15 days (R3), a credit of 25.00 € or
 *   more refunded by issue + 15 days, a smaller one carried forward (deducted from the next notices of the plan
 *   in force), any credit refunded on a final true-up or the true-up ending smoothed billing (R4).
 */
import type { Case } from "../case/schema.ts";
import { parseCase } from "../case/parse.ts";
import { BillingError } from "../errors.ts";
import type { DocumentReference, Invoice, TrueUpCancellation } from "../invoice/document.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { ZERO, dec, formatCents, sub } from "../primitives/money.ts";
import { dueSmoothedDocuments } from "../smoothed/smoothed-billing.ts";
import type { Settlement } from "../smoothed/documents.ts";
import { settle } from "../smoothed/refund-threshold.ts";

/** − x, to the cent ("-12.65" → "12.65"). */
const negated = (x: string): string => formatCents(sub(ZERO, dec(x)));

export const RULE_TRUE_UP_CORRECTION = "R5 · CGV 6.6 · R1 · CGV 6.1 (correction of a true-up: the instalments deducted stay as issued, the difference is settled per R3/R4)";

/** What a true-up's recomputation gives: the replacing true-up and the night it comes from, or why there is none. */
export type TrueUpRecomputation =
  | { readonly ok: true; readonly recomputed: Invoice; readonly case: Case; readonly caseInvoices: readonly Invoice[] }
  | { readonly ok: false; readonly reason: string };

const instalmentsKey = (i: Invoice): string =>
  JSON.stringify([i.trueUp!.instalments.map((x) => [x.no, x.billingDate, dec(x.amountTtc).toString()]), dec(i.trueUp!.creditCarriedInTtc).toString()]);

/**
 * The true-up `issued` (of `number`) recomputed on `whatIfCase` — its stored case with the what-if applied,
 * not yet validated — with the rules of `engineVersion`, the engine that issued it (absent: this engine's).
 */
export function recomputeTrueUp(number: string, issued: Invoice, whatIfCase: unknown, engineVersion: string | undefined): TrueUpRecomputation {
  const parsed = parseCase(whatIfCase);
  if (!parsed.ok) return { ok: false, reason: `the what-if case is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  let out;
  try {
    out = dueSmoothedDocuments(parsed.value, {}, engineVersion === undefined ? {} : { engineVersion });
  } catch (e) {
    if (e instanceof BillingError) return { ok: false, reason: `${e.code}: ${e.message}` };
    throw e;
  }
  if (!out.ok) return { ok: false, reason: `${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}` };
  const caseInvoices = out.documents.filter((d): d is Invoice => d.kind === "trueUpInvoice" || d.kind === "monthlyInvoice");
  const recomputed = caseInvoices.find((d) => d.kind === "trueUpInvoice" && d.billingDate === issued.billingDate);
  if (!recomputed?.trueUp) {
    return { ok: false, reason: `the night that issued ${number}, run again on the corrected data${engineVersion ? ` with engine ${engineVersion}'s rules` : ""}, gives no true-up for billing date ${issued.billingDate}${out.waiting ? ` (${out.waiting})` : ""}` };
  }
  if (instalmentsKey(recomputed) !== instalmentsKey(issued)) {
    return {
      ok: false,
      reason: `R1 · CGV 6.1: on the corrected data the true-up would deduct other instalments than ${number} deducted ` +
        `(${recomputed.trueUp.instalmentsTotalTtc} and a carried credit of ${recomputed.trueUp.creditCarriedInTtc} instead of ${issued.trueUp!.instalmentsTotalTtc} and ${issued.trueUp!.creditCarriedInTtc}: ` +
        `a readjustment of the same night moves): instalment notices are payment requests and are never corrected, so this true-up is not corrected`,
    };
  }
  return { ok: true, recomputed, case: parsed.value, caseInvoices };
}

/**
 * The settlement of a replacing true-up: the difference between its balance and the balance of the true-up it
 * replaces (`replaces.totalTtc`: same instalments, so the difference of the TTC), settled on `issueDate` as R3
 * and R4 say — the original's balance was settled as issued and stays so.
 */
export function correctedTrueUpSettlement(recomputed: Invoice, replaces: DocumentReference, issueDate: LocalDate): Settlement {
  const t = recomputed.trueUp!;
  const difference = sub(dec(recomputed.totalTtc), dec(replaces.totalTtc));
  const s = settle(difference, issueDate, t.termination, t.switchToMonthly === true && !t.termination);
  const before = `Replaces true-up ${replaces.number} of ${replaces.issueDate} (TTC ${replaces.totalTtc}), whose balance was settled as issued; ` +
    `the same instalments deducted (${t.instalmentsTotalTtc}), this true-up's TTC ${recomputed.totalTtc} differs by ${formatCents(difference)} €, settled now: `;
  return { ...s, explanation: `${before}${s.explanation}` };
}

/**
 * The `trueUp` section of the credit note cancelling true-up `number`: the year's TTC is cancelled in full, the
 * deduction of the instalments given back (they are payments on account, deducted again by the replacing
 * true-up), so the account moves by − the original's balance.
 */
export function trueUpCancellation(number: string, invoice: Invoice): TrueUpCancellation {
  const t = invoice.trueUp!;
  const balance = negated(t.balanceTtc);
  return {
    balanceTtc: balance,
    explanation:
      `Cancels true-up ${number} of plan ${t.planReference} (${t.planStart} to ${t.planEnd}): its TTC ${invoice.totalTtc} in full; the ${t.instalments.length} instalments it ` +
      `deducted (${t.instalmentsTotalTtc}) are payments on account, not cancelled — their deduction is given back here and made again by the true-up replacing it; ` +
      `the account moves by ${negated(invoice.totalTtc)} + ${t.instalmentsTotalTtc} = ${balance}.`,
    instalmentsTotalTtc: t.instalmentsTotalTtc,
    planReference: t.planReference,
    rule: RULE_TRUE_UP_CORRECTION,
  };
}

/**
 * R5 · CGV 6.6.2 on a true-up: the first day of the consumption a correction charges more — the start of the
 * earliest energy line (per register and period) whose kWh it increases, or that it adds; null when it
 * increases none. A true-up's energy lines are its year split at every price, tax and VAT-regime change: an
 * index corrected after the anniversary changes the lines after the read before it, not the whole year.
 * Reading (docs/rules.md "Corrections"): a line that begins before the floor and bills more is refused whole,
 * the customer's favour (its kWh are not dated more finely than the line).
 */
export function increasedConsumptionFrom(issued: Invoice, recomputed: Invoice): LocalDate | null {
  const key = (l: Invoice["lines"][number]) => `${l.register ?? ""}|${l.periodStart}|${l.periodEnd}`;
  const before = new Map(issued.lines.filter((l) => l.kind === "energy").map((l) => [key(l), dec(l.quantity)]));
  let from: LocalDate | null = null;
  for (const l of recomputed.lines) {
    if (l.kind !== "energy") continue;
    const was = before.get(key(l));
    if (was !== undefined && !dec(l.quantity).greaterThan(was)) continue;
    if (from === null || l.periodStart < from) from = l.periodStart;
  }
  return from;
}
