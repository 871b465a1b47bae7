/**
 * Excise on electricity — accise, ex-CSPE/TICFE (R1, CGV 5.4): € per MWh × kWh consumed, on each
 * energy line's kWh, at the rate in force on the line's sub-period, rounded to the cent per line.
 */
import type { Case } from "../case/schema.ts";
import { missingReference } from "../pricing/reference-gap.ts";
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, dec, div, mul, roundToCent } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";
import { changeDates, entryAt } from "../primitives/series.ts";

const THOUSAND = dec(1000);

export function exciseRateAt(c: Case, date: LocalDate): { eurPerMwh: Dec; eurPerKwh: Dec } {
  const e = entryAt(c.reference.excise, date);
  if (!e) throw missingReference(c, "excise", undefined, date, `no excise rate on ${date} (R1)`);
  const eurPerMwh = dec(e.eurPerMwh);
  return { eurPerMwh, eurPerKwh: div(eurPerMwh, THOUSAND) };
}

export function exciseAmount(kwh: Dec, eurPerKwh: Dec): Dec {
  return roundToCent(mul(kwh, eurPerKwh));
}

export const exciseChangeDates = (c: Case, p: Period): LocalDate[] => changeDates(c.reference.excise, p);
