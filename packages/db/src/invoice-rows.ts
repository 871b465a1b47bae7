/**
 * An invoice document and the rows the store keeps of it (invoice, lines, VAT groups), both ways: the
 * checks that a document comes back exactly from its rows before it is issued, and the document rebuilt
 * from stored rows.
 */
import { type PriceTexts, renderLineExplanation, standardLineRule, storedExplanation, storedRule } from "@billing/core";
import type { ConsumptionBasis, CorrectionSection, FinalSection, IndexUsed, Invoice, InvoiceLine, TrueUpSection, VatGroup } from "@billing/core";
import { canonicalJson, inCanonicalOrder } from "./canonical-json.ts";
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

/**
 * Rebuilds the issued document from its rows (lines ordered by line_no, VAT groups by group_no). Issue 15
 * (the audit): every object is built with its keys in the order canonicalJson writes them, and the
 * values read from jsonb columns (shorter keys first there) are put in that order once, here — so the
 * document's canonical JSON, which the audit and the chain check hash for every document, is the native
 * serialiser's on its fast path, without a sorted copy of the document. Key order is all that differs:
 * the same document, the same canonical JSON and hash. `texts`: the price texts of a batch of documents
 * (core priceTexts; absent: each sentence's prices rendered anew — the same sentences).
 */
export function documentFromRows(rows: DocumentRows, texts?: PriceTexts): Invoice {
  const i = rows.invoice;
  const lines: InvoiceLine[] = rows.lines.map((l) => {
    const line = {
      amount: l.amount, explanation: "", inputs: inCanonicalOrder(l.inputs), kind: l.kind, lineNo: l.line_no,
      periodEnd: l.period_end, periodStart: l.period_start, quantity: l.quantity, quantityUnit: l.quantity_unit,
      register: l.register, rule: l.rule ?? standardLineRule(l.kind) ?? "", unitPrice: l.unit_price, vatRate: l.vat_rate,
    };
    // Issue 15 item 3: a rule or sentence not stored is its kind's standard rule, the sentence rendered
    // from the line (each stored null only when it gives back exactly what was issued).
    line.explanation = l.explanation ?? renderLineExplanation(line, texts) ?? "";
    return line;
  });
  const vat: VatGroup[] = rows.vat.map((g) => ({ amount: g.amount, base: g.base, rate: g.rate }));
  // Keys in canonical order; the optional sections only when stored (a monthly invoice's document, and
  // hash, has no trueUp key — R2 (migration 0011) consumption and selfReadWindow are absent on documents
  // issued before it; R5 · CGV 6.6 (0013) correction only on credit notes and replacing invoices; R8 (0017)
  // final only on a final invoice).
  const d: Record<string, unknown> = { billingDate: i.billing_date };
  if (i.consumption !== null && i.consumption !== undefined) d["consumption"] = inCanonicalOrder(i.consumption as ConsumptionBasis);
  d["contractId"] = i.contract_id;
  if (i.correction !== null && i.correction !== undefined) d["correction"] = inCanonicalOrder(i.correction as CorrectionSection);
  d["customerId"] = i.customer_id;
  d["deliveryPoint"] = i.delivery_point;
  d["dueDate"] = i.due_date;
  d["energyPeriod"] = i.energy_start !== null && i.energy_end !== null ? { end: i.energy_end, start: i.energy_start } : null;
  if (i.final !== null && i.final !== undefined) d["final"] = inCanonicalOrder(i.final as FinalSection);
  d["indexes"] = inCanonicalOrder(i.indexes as IndexUsed[]);
  d["issueDate"] = i.issue_date;
  d["kind"] = i.kind;
  d["lines"] = lines;
  if (i.self_read_window !== null && i.self_read_window !== undefined) d["selfReadWindow"] = inCanonicalOrder(i.self_read_window as { from: string; to: string });
  d["subscriptionPeriod"] = i.subscription_start !== null && i.subscription_end !== null ? { end: i.subscription_end, start: i.subscription_start } : null;
  d["totalHt"] = i.total_ht;
  d["totalTtc"] = i.total_ttc;
  d["totalVat"] = i.total_vat;
  if (i.true_up !== null && i.true_up !== undefined) d["trueUp"] = inCanonicalOrder(i.true_up as TrueUpSection);
  d["vat"] = vat;
  return d as unknown as Invoice;
}
