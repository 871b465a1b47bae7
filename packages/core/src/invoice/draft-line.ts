/** A line while it is computed, with exact values; finished into an InvoiceLine of strings. */
import type { InvoiceLine, LineKind } from "./document.ts";
import { type Dec, formatCents, formatPlain } from "../primitives/money.ts";
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
    quantity: formatPlain(l.quantity),
    quantityUnit: l.quantityUnit,
    unitPrice: formatPlain(l.unitPrice),
    amount: formatCents(l.amount),
    vatRate: formatPlain(l.vatRate),
    rule: l.rule,
    inputs: l.inputs,
    explanation: l.explanation,
  };
}
