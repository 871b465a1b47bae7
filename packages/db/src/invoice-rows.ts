/**
 * An invoice document and the rows the store keeps of it (invoice, lines, VAT groups), both ways: the
 * checks that a document comes back exactly from its rows before it is issued, and the document rebuilt
 * from stored rows.
 */
import { renderLineExplanation, standardLineRule, storedExplanation, storedRule } from "@billing/core";
import type { ConsumptionBasis, CorrectionSection, FinalSection, IndexUsed, Invoice, InvoiceLine, TrueUpSection, VatGroup } from "@billing/core";
import { canonicalJson } from "./canonical-json.ts";
import type { InvoiceLineRow, InvoiceRow, InvoiceVatRow } from "./schema.ts";

const CANONICAL_DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const NEGATIVE_ZERO = /^-0(\.0+)?$/;

/**
 * The store keeps a document in columns and hashes it as given, so the columns must give it back
 * exactly: decimals as PostgreSQL prints them (no exponent, no "-0"), lines numbered 1..n in order,
 * and no field the tables do not hold. A document that would not come back equal is a bug upstream.
 */
export function assertStorable(doc: Invoice, roundTrip: boolean): void {
  // Written to allocate nothing when the document is storable (issue 15: it runs on every invoice).
  if (!isPlainDecimal(doc.totalHt)) throw notPlainDecimal(doc, "totalHt", doc.totalHt);
  if (!isPlainDecimal(doc.totalVat)) throw notPlainDecimal(doc, "totalVat", doc.totalVat);
  if (!isPlainDecimal(doc.totalTtc)) throw notPlainDecimal(doc, "totalTtc", doc.totalTtc);
  for (let i = 0; i < doc.lines.length; i++) {
    const l = doc.lines[i]!;
    if (l.lineNo !== i + 1) throw new Error(`${whereOf(doc)}: line ${i + 1} has lineNo ${l.lineNo}`);
    for (const f of LINE_DECIMALS) if (!isPlainDecimal(l[f])) throw notPlainDecimal(doc, `lines[${i}].${f}`, l[f]);
  }
  for (let i = 0; i < doc.vat.length; i++) {
    const g = doc.vat[i]!;
    for (const f of VAT_DECIMALS) if (!isPlainDecimal(g[f])) throw notPlainDecimal(doc, `vat[${i}].${f}`, g[f]);
  }
  if (!roundTrip) return;
  const back = documentFromRows(rowsOfDocument(doc));
  if (canonicalJson(back) !== canonicalJson(doc)) {
    throw new Error(`${whereOf(doc)}: the document has fields the store does not keep; extend the invoice tables`);
  }
}

const LINE_DECIMALS = ["quantity", "unitPrice", "amount", "vatRate"] as const;
const VAT_DECIMALS = ["rate", "base", "amount"] as const;

const isPlainDecimal = (v: string): boolean => CANONICAL_DECIMAL.test(v) && !NEGATIVE_ZERO.test(v);

const whereOf = (doc: Invoice): string => `invoice of contract ${doc.contractId} for ${doc.billingDate}`;

function notPlainDecimal(doc: Invoice, field: string, v: string): Error {
  return new Error(`${whereOf(doc)}: ${field} "${v}" is not a plain decimal string`);
}

export interface DocumentRows {
  invoice: Pick<InvoiceRow, "kind" | "contract_id" | "customer_id" | "delivery_point" | "billing_date" | "issue_date"
    | "due_date" | "subscription_start" | "subscription_end" | "energy_start" | "energy_end" | "total_ht"
    | "total_vat" | "total_ttc" | "indexes" | "true_up" | "consumption" | "self_read_window" | "correction" | "final">;
  lines: readonly Omit<InvoiceLineRow, "invoice_id" | "issue_date">[];
  vat: readonly Omit<InvoiceVatRow, "invoice_id">[];
}

function rowsOfDocument(doc: Invoice): DocumentRows {
  return {
    invoice: {
      kind: doc.kind, contract_id: doc.contractId, customer_id: doc.customerId, delivery_point: doc.deliveryPoint,
      billing_date: doc.billingDate, issue_date: doc.issueDate, due_date: doc.dueDate,
      subscription_start: doc.subscriptionPeriod?.start ?? null, subscription_end: doc.subscriptionPeriod?.end ?? null,
      energy_start: doc.energyPeriod?.start ?? null, energy_end: doc.energyPeriod?.end ?? null,
      total_ht: doc.totalHt, total_vat: doc.totalVat, total_ttc: doc.totalTtc,
      indexes: JSON.parse(JSON.stringify(doc.indexes)) as unknown,
      true_up: doc.trueUp === undefined ? null : (JSON.parse(JSON.stringify(doc.trueUp)) as unknown),
      consumption: doc.consumption === undefined ? null : (JSON.parse(JSON.stringify(doc.consumption)) as unknown),
      self_read_window: doc.selfReadWindow === undefined ? null : (JSON.parse(JSON.stringify(doc.selfReadWindow)) as unknown),
      correction: doc.correction === undefined ? null : (JSON.parse(JSON.stringify(doc.correction)) as unknown),
      final: doc.final === undefined ? null : (JSON.parse(JSON.stringify(doc.final)) as unknown),
    },
    lines: doc.lines.map((l) => ({
      line_no: l.lineNo, kind: l.kind, register: l.register, period_start: l.periodStart, period_end: l.periodEnd,
      quantity: l.quantity, quantity_unit: l.quantityUnit, unit_price: l.unitPrice, amount: l.amount,
      vat_rate: l.vatRate, rule: storedRule(l), inputs: { ...l.inputs }, explanation: storedExplanation(l),
    })),
    vat: doc.vat.map((g, i) => ({ group_no: i + 1, rate: g.rate, base: g.base, amount: g.amount })),
  };
}

/** Rebuilds the issued document from its rows (lines ordered by line_no, VAT groups by group_no). */
export function documentFromRows(rows: DocumentRows): Invoice {
  const i = rows.invoice;
  const lines: InvoiceLine[] = rows.lines.map((l) => {
    const line = {
      lineNo: l.line_no, kind: l.kind, register: l.register, periodStart: l.period_start, periodEnd: l.period_end,
      quantity: l.quantity, quantityUnit: l.quantity_unit, unitPrice: l.unit_price, amount: l.amount,
      vatRate: l.vat_rate, rule: l.rule ?? standardLineRule(l.kind) ?? "", inputs: l.inputs,
    };
    // Issue 15 item 3: a rule or sentence not stored is its kind's standard rule, the sentence rendered
    // from the line (each stored null only when it gives back exactly what was issued).
    return { ...line, explanation: l.explanation ?? renderLineExplanation(line) ?? "" };
  });
  const vat: VatGroup[] = rows.vat.map((g) => ({ rate: g.rate, base: g.base, amount: g.amount }));
  return {
    kind: i.kind,
    contractId: i.contract_id,
    customerId: i.customer_id,
    deliveryPoint: i.delivery_point,
    billingDate: i.billing_date,
    issueDate: i.issue_date,
    dueDate: i.due_date,
    subscriptionPeriod:
      i.subscription_start !== null && i.subscription_end !== null
        ? { start: i.subscription_start, end: i.subscription_end }
        : null,
    energyPeriod: i.energy_start !== null && i.energy_end !== null ? { start: i.energy_start, end: i.energy_end } : null,
    indexes: i.indexes as IndexUsed[],
    lines,
    vat,
    totalHt: i.total_ht,
    totalVat: i.total_vat,
    totalTtc: i.total_ttc,
    // Only a true-up carries the section: a monthly invoice's document (and hash) has no such key.
    ...(i.true_up === null || i.true_up === undefined ? {} : { trueUp: i.true_up as TrueUpSection }),
    // R2 (migration 0011): absent on documents issued before it, and on invoices without energy / a window.
    ...(i.consumption === null || i.consumption === undefined ? {} : { consumption: i.consumption as ConsumptionBasis }),
    ...(i.self_read_window === null || i.self_read_window === undefined ? {} : { selfReadWindow: i.self_read_window as { from: string; to: string } }),
    // R5 · CGV 6.6 (migration 0013): only on credit notes and the invoices that replace a corrected one.
    ...(i.correction === null || i.correction === undefined ? {} : { correction: i.correction as CorrectionSection }),
    // R8 (migration 0017): only a final invoice carries the section.
    ...(i.final === null || i.final === undefined ? {} : { final: i.final as FinalSection }),
  };
}
