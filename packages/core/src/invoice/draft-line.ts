/**
 * A line while it is computed, with exact values; finished into an InvoiceLine of strings. The
 * amount is computed from the exact values; the stored quantity and unit price keep 12 decimal
 * places (money.QUANTITY_SCALE), far more than can move a cent.
 */
import type { InvoiceLine, LineKind } from "./document.ts";
import { type Dec, formatCents, formatPlain, quantize } from "../primitives/money.ts";
import type { Period } from "../primitives/period.ts";

export interface DraftLine {
  kind: LineKind;
  register: string | null;
  period: Period;
  quantity: Dec;
  quantityUnit: "kWh" | "month";
  unitPrice: Dec;
  amount: Dec;
  vatRate: Dec;
  rule: string;
  inputs: Record<string, string>;
  explanation: string;
}

export function finishLine(l: DraftLine, lineNo: number): InvoiceLine {
  return {
    lineNo,
    kind: l.kind,
    register: l.register,
    periodStart: l.period.start,
    periodEnd: l.period.end,
    quantity: formatPlain(quantize(l.quantity)),
    quantityUnit: l.quantityUnit,
    unitPrice: formatPlain(quantize(l.unitPrice)),
    amount: formatCents(l.amount),
    vatRate: formatPlain(l.vatRate),
    rule: l.rule,
    inputs: l.inputs,
    explanation: l.explanation,
  };
}
