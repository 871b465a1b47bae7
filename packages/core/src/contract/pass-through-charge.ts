/**
 * R8 · CGV 4: a distributor's charge on a contract change — the fee for a power or price-option change,
 * the annual-character charge when a change reverses one made less than a year before — is passed
 * through « sans majoration »: one line of kind distributorService on the change date, its HT amount as
 * the distributor charges it, at the normal VAT rate of that day (a service, like energy). The rules that
 * decide when a charge is due stay with their change (power-change.ts, option-change.ts).
 */
import type { Case } from "../case/schema.ts";
import type { DraftLine } from "../invoice/draft-line.ts";
import { type LocalDate, addDays } from "../primitives/dates.ts";
import { ONE, dec } from "../primitives/money.ts";
import { vatRateAt } from "../taxes/vat.ts";

export function passThroughCharge(c: Case, date: LocalDate, amountHt: string, rule: string, inputs: Record<string, string>, explanation: string): DraftLine {
  const amount = dec(amountHt);
  return {
    kind: "distributorService",
    register: null,
    period: { start: date, end: addDays(date, 1) },
    quantity: ONE,
    quantityUnit: "charge",
    unitPrice: amount,
    amount,
    vatRate: vatRateAt(c, "distributorService", date),
    rule,
    inputs,
    explanation,
  };
}
