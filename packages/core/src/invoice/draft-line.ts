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
  /** Texts of some of the line's values already written while it was built (issue 15: written once, not twice). */
  texts?: LineTexts | undefined;
}

/**
 * A value's text paired with the very value it was written from: {@link finishLine} uses it only while
 * the line still holds that value (a copy that negates the amount, say, is written again).
 */
export type KnownText = readonly [value: Dec, text: string];

export interface LineTexts {
  /** formatCents(amount). */
  readonly amount?: KnownText | undefined;
  /** formatPlain(quantize(quantity)). */
  readonly quantity?: KnownText | undefined;
  /** formatPlain(quantize(unitPrice)). */
  readonly unitPrice?: KnownText | undefined;
  /** formatPlain(vatRate). */
  readonly vatRate?: KnownText | undefined;
}

/** `known`'s text when it was written from `value` itself, else `write(value)`. */
export function textOf(known: KnownText | undefined, value: Dec, write: (v: Dec) => string): string {
  return known !== undefined && known[0] === value ? known[1] : write(value);
}

const exactText = (x: Dec): string => formatPlain(quantize(x));

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
  const t = l.texts;
  return {
    amount: textOf(t?.amount, l.amount, formatCents),
    explanation: l.explanation,
    inputs,
    kind: l.kind,
    lineNo,
    periodEnd: l.period.end,
    periodStart: l.period.start,
    quantity: textOf(t?.quantity, l.quantity, exactText),
    quantityUnit: l.quantityUnit,
    register: l.register,
    rule: l.rule,
    unitPrice: textOf(t?.unitPrice, l.unitPrice, exactText),
    vatRate: textOf(t?.vatRate, l.vatRate, formatPlain),
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
