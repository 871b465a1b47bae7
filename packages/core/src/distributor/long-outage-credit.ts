/**
 * R9 — Synthèse 2.2 (coupure longue, TURPE): a cut of more than 5 hours attributable to the
 * distribution or transmission network → credit = regulated amount per kVA (dated data, 2 €/kVA for
 * BT ≤ 36 kVA) × subscribed kVA × complete 5-hour slices, at most 40 slices; none when the cut
 * affects more than 20 % of all final customers supplied by the transmission network. No VAT.
 *
 * Reading (RULES.md R9): « plus de 5 heures » is strict — 5 h 00 earns nothing, 5 h 01 one slice,
 * 10 h 00 two; the duration is in whole minutes of real elapsed time from the cut to the
 * restoration (instants with their offsets, so a cut across a daylight-saving change lasts what the
 * clock on the wall does not show); slices = floor(minutes ÷ 300), capped at 40. The €/kVA is the one
 * in force on the day the cut started (Europe/Paris). Credited on the next invoice, outside VAT.
 */
import { DateTime } from "luxon";
import { addDays, civilDateInParis } from "../primitives/dates.ts";
import { dec, formatCents, mul, neg, roundToCent } from "../primitives/money.ts";
import { type Catalogue, cataloguePriceAt } from "./catalogue.ts";
import { type DistributorOutcome, itemRefOf } from "./charge-draft.ts";

export const RULE_R9_LONG_OUTAGE = "R9 · Synthèse 2.2 (coupure longue)";
export const SLICE_MINUTES = 300;
export const MAX_SLICES = 40;

export interface LongOutage {
  readonly reference: string;
  /** ISO instants with their offset (or Z): the cut and the restoration. */
  readonly cutAt: string;
  readonly restoredAt: string;
  readonly subscribedKva: number;
  /** The cut affected more than 20 % of the final customers supplied by the transmission network. */
  readonly transmissionExclusion: boolean;
}

/** Whole minutes from `from` to `to` (real elapsed time). */
export function wholeMinutesBetween(from: string, to: string): number {
  const a = DateTime.fromISO(from, { setZone: true });
  const b = DateTime.fromISO(to, { setZone: true });
  if (!a.isValid || !b.isValid) throw new Error(`wholeMinutesBetween(): "${from}" or "${to}" is not an instant`);
  return Math.floor((b.toMillis() - a.toMillis()) / 60000);
}

/** Complete 5-hour slices of a cut of `minutes`: none up to 5 h 00 included, then floor(minutes ÷ 300), at most 40. */
export function completeSlices(minutes: number): number {
  if (minutes <= SLICE_MINUTES) return 0;
  return Math.min(MAX_SLICES, Math.floor(minutes / SLICE_MINUTES));
}

const hm = (minutes: number) => `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")}`;

export function longOutageCredit(o: LongOutage, catalogue: Catalogue): DistributorOutcome {
  const minutes = wholeMinutesBetween(o.cutAt, o.restoredAt);
  if (minutes < 0) return { outcome: "failed", reason: `restoredAt ${o.restoredAt} is before cutAt ${o.cutAt}` };
  if (o.transmissionExclusion) {
    return { outcome: "none", reason: `cut of ${hm(minutes)} affecting more than 20 % of the final customers supplied by the transmission network: excluded, no credit (${RULE_R9_LONG_OUTAGE})` };
  }
  const slices = completeSlices(minutes);
  if (slices === 0) return { outcome: "none", reason: `cut of ${hm(minutes)}: not more than 5 hours, no credit (${RULE_R9_LONG_OUTAGE})` };
  const day = civilDateInParis(o.cutAt);
  const found = cataloguePriceAt(catalogue, "longOutagePerKvaPerSlice", day);
  if (!found.ok) return { outcome: "failed", reason: found.reason };
  const raw = Math.floor(minutes / SLICE_MINUTES);
  const credit = roundToCent(mul(mul(dec(found.entry.price), dec(o.subscribedKva)), dec(slices)));
  const cap = raw > MAX_SLICES ? ` (${raw} slices, capped at ${MAX_SLICES})` : "";
  return {
    outcome: "charge",
    charge: {
      kind: "longOutageCredit",
      itemRef: itemRefOf(o.reference),
      amount: formatCents(neg(credit)),
      vatRate: "0",
      periodStart: day,
      periodEnd: addDays(civilDateInParis(o.restoredAt), 1),
      rule: RULE_R9_LONG_OUTAGE,
      inputs: {
        distributorReference: o.reference,
        cutAt: o.cutAt,
        restoredAt: o.restoredAt,
        minutes: String(minutes),
        slices: String(slices),
        subscribedKva: String(o.subscribedKva),
        eurPerKvaPerSlice: found.entry.price,
        ...(found.entry.source ? { source: found.entry.source } : {}),
      },
      explanation: `long outage ${o.reference}: cut of ${hm(minutes)} → ${slices} complete 5-hour slice${slices === 1 ? "" : "s"}${cap} × ${o.subscribedKva} kVA × ${found.entry.price} €/kVA = ${formatCents(credit)} € credited, outside VAT (indemnity)`,
    },
  };
}
