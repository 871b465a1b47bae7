/**
 * A line while it is computed, with exact values; finished into an InvoiceLine of strings. The
 * amount is computed from the exact values; the stored quantity and unit price keep 12 decimal
 * places (money.QUANTITY_SCALE). A kWh share with no finite decimal expansion (777 × 25/31) is
 * priced exactly (energy.ts) and its trace carries the exact fraction (`kwhExact`, see
 * {@link exactQuantityOf}): the 12-place quantity is for people.
 */
import type { InvoiceLine, LineKind } from "./document.ts";
import { type Dec, type Ratio, dec, formatCents, formatPlain, parseRatio, quantize, ratio } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";

export interface DraftLine {
  kind: LineKind;
  register: string | null;
  period: Period;
  quantity: Dec;
  quantityUnit: "kWh" | "month" | "charge";
  unitPrice: Dec;
  amount: Dec;
  vatRate: Dec;
  rule: string;
  inputs: Record<string, string>;
  explanation: string;
}

/** `o` itself when its keys are already in order (the usual case), else a sorted copy. */
function sortedKeys(o: Record<string, string>): Record<string, string> {
  const keys = Object.keys(o);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  if (sorted) return o;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = o[k]!;
  return out;
}

/** Keys in alphabetical order, like the document (see monthly-invoice.ts): hashed without copying. */
export function finishLine(l: DraftLine, lineNo: number): InvoiceLine {
  const inputs = sortedKeys(l.inputs);
  return {
    amount: formatCents(l.amount),
    explanation: l.explanation,
    inputs,
    kind: l.kind,
    lineNo,
    periodEnd: l.period.end,
    periodStart: l.period.start,
    quantity: formatPlain(quantize(l.quantity)),
    quantityUnit: l.quantityUnit,
    register: l.register,
    rule: l.rule,
    unitPrice: formatPlain(quantize(l.unitPrice)),
    vatRate: formatPlain(l.vatRate),
  };
}

/**
 * The exact quantity of a finished line: its `kwhExact` trace when it has one (a kWh share with no
 * finite decimal expansion, R1 exact shares), else its stored quantity (then exact).
 */
export function exactQuantityOf(l: Pick<InvoiceLine, "quantity" | "inputs">): Ratio {
  const e = l.inputs["kwhExact"];
  return e === undefined ? ratio(dec(l.quantity)) : parseRatio(e);
}
