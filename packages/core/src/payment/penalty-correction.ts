/**
 * R3 — CGV 6.4: « Ces pénalités sont exigibles à compter du jour suivant la date de règlement inscrite sur la
 * facture jusqu'à la date de réception du paiement » — RULES.md R3: interest for a late day d on the amount
 * owed at the start of d, « a payment counts on the day the supplier receives it ».
 *
 * The penalty is what R3 gives with every payment on its receipt date, whenever the payment reaches the
 * books. A payment received before the last one but imported after the penalty was computed (a cheque
 * processed late, a bank file sent again), or a payment returned after it (returned-payment.ts), changes
 * that figure: the penalty — and a professional's 40 € recovery indemnity, due only when the item was paid
 * late — is computed again with the payments known, and the difference with what was charged is a charge of
 * its own, of the same kind (negative when it lowers it), billed on the next invoice. Issued documents never
 * change. Reading (docs/payments.md, "A payment imported late"): while an item a return made owed again is
 * open, what was charged stands; the difference is charged once the item is settled again.
 * Engine 0.3.5 (ruleset `penaltyFollowsPayments`); before, a penalty was computed once, when the item was
 * first found settled.
 */
import type { LocalDate } from "../primitives/dates.ts";
import { ZERO, add, compare, dec, formatCents, isZero, sub } from "../primitives/money.ts";
import type { ComputedCharge } from "./late-payment-penalty.ts";

export const RULE_R3_CORRECTION = "R3 · CGV 6.4 (late-payment penalty with every payment on its receipt date: the difference with what was charged)";

/** The kinds a late item's charges are corrected for. */
export const CORRECTED_KINDS = ["latePaymentPenalty", "recoveryIndemnity"] as const;
export type CorrectedKind = (typeof CORRECTED_KINDS)[number];

export interface PenaltyCorrectionInput {
  readonly itemRef: string;
  readonly itemLabel: string;
  readonly dueDate: LocalDate;
  /** The day the item was settled with the payments known (its due date or before: on time). */
  readonly settledOn: LocalDate;
  /** What R3 gives today (latePaymentCharges; [] when paid on time). */
  readonly due: readonly ComputedCharge[];
  /** Σ of what was charged for the item so far, by kind (the first charge and any correction). */
  readonly charged: Readonly<Partial<Record<CorrectedKind, string>>>;
}

/** The corrections of an item's charges: one charge per kind whose figure changed (none when nothing did). */
export function penaltyCorrections(p: PenaltyCorrectionInput): ComputedCharge[] {
  const out: ComputedCharge[] = [];
  for (const kind of CORRECTED_KINDS) {
    const charged = p.charged[kind];
    if (charged === undefined) continue; // never charged: the first computation is the ordinary one
    const now = p.due.find((c) => c.kind === kind);
    const target = now ? dec(now.amount) : ZERO;
    const diff = sub(target, dec(charged));
    if (isZero(diff)) continue;
    const what = kind === "latePaymentPenalty" ? "Late-payment penalty" : "Recovery indemnity";
    const onTime = p.settledOn <= p.dueDate;
    out.push({
      kind,
      amount: formatCents(diff),
      rule: RULE_R3_CORRECTION,
      inputs: {
        item: p.itemRef,
        dueDate: p.dueDate,
        settledOn: p.settledOn,
        charged: formatCents(dec(charged)),
        due: formatCents(target),
        difference: formatCents(diff),
        ...(now ? Object.fromEntries(Object.entries(now.inputs).filter(([k]) => !(k in { item: 1, dueDate: 1, settledOn: 1 })).map(([k, v]) => [`now.${k}`, v])) : {}),
      },
      explanation:
        `${what} on ${p.itemLabel} corrected with every payment on its receipt date: ${formatCents(dec(charged))} € charged, ` +
        (onTime ? `settled on ${p.settledOn}, by its due date ${p.dueDate}: nothing due` : `${formatCents(target)} € due (settled ${p.settledOn})`) +
        ` — ${compare(diff, ZERO) < 0 ? "credited" : "charged"} ${formatCents(diff)} €. No VAT.`,
      computation: { charged: formatCents(dec(charged)), due: formatCents(target), difference: formatCents(diff), now: now?.computation ?? null },
    });
  }
  return out;
}

/** Σ of decimal strings, exact (what was charged for one item and kind). */
export const chargedSum = (amounts: readonly string[]): string => formatCents(amounts.reduce((a, s) => add(a, dec(s)), ZERO));
