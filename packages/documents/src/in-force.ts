/**
 * R1 · R8 (CGV 4): the price option(s), subscribed power(s) and tariff formula(s) in force over a
 * document's period, as printed in its header. The contract part of the stored case keeps the contract
 * as it started; a power or option change is an event. The lines know each day's values (a subscription
 * line's `inputs.priceOption`, `subscribedKva`, `networkTariff`; an energy line's register or
 * `inputs.priceOption`, and its `networkTariff`), so the header is read from them, in date order. Credit lines of days billed
 * earlier (`inputs.adjustment = "credit"`) are left out: they undo the old values, the days' values are
 * the re-billed ones. A document without such lines (a charges invoice) shows the contract's.
 */
import { type Invoice, dates } from "@billing/core";
import { frDate } from "./format-fr.ts";

/** One value and the first day of the document's period it is in force. */
export interface InForce<T> {
  readonly value: T;
  readonly from: string;
}

const OPTION_OF_REGISTER: Record<string, string> = { BASE: "BASE", HP: "HPHC", HC: "HPHC" };

function segments<T>(points: readonly { from: string; value: T | undefined }[], fallback: T): InForce<T>[] {
  const sorted = points.filter((p): p is { from: string; value: T } => p.value !== undefined).sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const out: InForce<T>[] = [];
  for (const p of sorted) if (out.length === 0 || out.at(-1)!.value !== p.value) out.push({ value: p.value, from: p.from });
  return out.length > 0 ? out : [{ value: fallback, from: "" }];
}

const priced = (inv: Invoice) => inv.lines.filter((l) => l.inputs["adjustment"] !== "credit");

/** The price options over the document's period, in date order (one when it did not change). */
export function optionsInForce(inv: Invoice, contractOption: string): InForce<string>[] {
  return segments(
    priced(inv).flatMap((l) =>
      l.kind === "subscription" ? [{ from: l.periodStart, value: l.inputs["priceOption"] }]
      : l.kind === "energy" ? [{ from: l.periodStart, value: l.inputs["priceOption"] ?? OPTION_OF_REGISTER[l.register ?? ""] }]
      : []),
    contractOption,
  );
}

/** The subscribed powers (kVA) over the document's period, in date order. */
export function powersInForce(inv: Invoice, contractKva: number): InForce<number>[] {
  return segments(
    priced(inv).filter((l) => l.kind === "subscription").map((l) => ({ from: l.periodStart, value: l.inputs["subscribedKva"] === undefined ? undefined : Number(l.inputs["subscribedKva"]) })),
    contractKva,
  );
}

/** The tariff formulas (FTA) over the document's period, in date order. */
export function formulasInForce(inv: Invoice, contractFormula: string): InForce<string>[] {
  return segments(
    priced(inv).filter((l) => l.kind === "subscription" || l.kind === "energy").map((l) => ({ from: l.periodStart, value: l.inputs["networkTariff"]?.split(" ")[0] })),
    contractFormula,
  );
}

/** "Base" or "Base jusqu'au 31/01/2026, Heures pleines / Heures creuses à partir du 01/02/2026". */
export function describeInForce<T>(values: readonly InForce<T>[], label: (v: T) => string): string {
  if (values.length === 1) return label(values[0]!.value);
  return values
    .map((v, i) => {
      const next = values[i + 1];
      if (i === 0) return `${label(v.value)} jusqu'au ${frDate(dates.addDays(next!.from, -1))}`;
      return `${label(v.value)} à partir du ${frDate(v.from)}`;
    })
    .join(", ");
}
