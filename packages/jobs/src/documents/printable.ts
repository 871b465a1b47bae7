/**
 * The shell side of the invoice document: load what a stored document is printed from, then call
 * @billing/documents' pure renderer. Used by `billing invoice pdf` and `billing plan pdf`; an HTTP
 * route calls the same functions (DESIGN: one application function, two thin shells).
 *
 * - An invoice (monthly, true-up) is printed from its stored rows and the case stored with it: the
 *   customer, contract and offer exactly as they were when it was issued.
 * - An instalment notice has no stored case: it is printed from its stored row and the customer,
 *   contract and offer rows as they are now (docs/invoice-document.md).
 */
import { type InstalmentNotice, parseCase } from "@billing/core";
import { type Store, findInstalmentNotice, findInvoiceByNumber, invoiceNumberById, loadCaseParts, loadContractParties } from "@billing/db";
import { type RenderOptions, type StoredDocument, partiesOf, renderDocumentPdf } from "@billing/documents";
import { caseFromStoredInput } from "../billing/stored-input.ts";

type Db = Store["db"];

export type LoadResult = { readonly ok: true; readonly document: StoredDocument } | { readonly ok: false; readonly reason: string };

/** An issued invoice (or true-up) with the parties of its stored case; a reason when it cannot be. */
export async function loadInvoiceDocument(db: Db, number: string): Promise<LoadResult> {
  const stored = await findInvoiceByNumber(db, number);
  if (!stored) return { ok: false, reason: `invoice ${number} not found` };
  if (stored.document.kind === "creditNote") return loadCreditNote(db, number, stored);
  if (!stored.input) return { ok: false, reason: `invoice ${number} has no stored input (invoice_input row missing)` };
  const refs = stored.input.shared_parts as Record<string, unknown> | null;
  const hashes = { offer: refs?.["offer"], reference: refs?.["reference"] };
  if (typeof hashes.offer !== "string" || typeof hashes.reference !== "string") return { ok: false, reason: `stored input of ${number} names no offer or reference part` };
  const rows = await loadCaseParts(db, [hashes.offer, hashes.reference]);
  const body = new Map(rows.map((r) => [r.hash, r.body as unknown]));
  const parsed = parseCase(caseFromStoredInput(stored.input.contract_part, body.get(hashes.offer), body.get(hashes.reference)));
  if (!parsed.ok) return { ok: false, reason: `the stored input of ${number} is not a valid case: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}` };
  return { ok: true, document: { kind: "invoice", number, invoice: stored.document, parties: partiesOf(parsed.value) } };
}

/**
 * A credit note (R5 · CGV 6.6) stores no case of its own (its stored input names the invoice it
 * cancels): it is printed with the parties of the invoice it cancels, as they were when that invoice
 * was issued — the same customer, contract and offer the cancelled amounts were billed to.
 */
async function loadCreditNote(db: Db, number: string, stored: NonNullable<Awaited<ReturnType<typeof findInvoiceByNumber>>>): Promise<LoadResult> {
  const cancelledId = stored.invoice.cancels_invoice_id;
  if (cancelledId === null) return { ok: false, reason: `credit note ${number} names no invoice it cancels` };
  const cancelled = await invoiceNumberById(db, cancelledId);
  if (cancelled === undefined) return { ok: false, reason: `the invoice credit note ${number} cancels is missing` };
  const of = await loadInvoiceDocument(db, cancelled);
  if (!of.ok) return { ok: false, reason: `credit note ${number}: ${of.reason}` };
  return { ok: true, document: { kind: "invoice", number, invoice: stored.document, parties: { ...of.document.parties, firstInvoice: false }, ...(of.document.kind === "invoice" ? { cancelled: of.document.invoice } : {}) } };
}

/**
 * Instalment notice `no` of a contract's plan: the plan given, else the latest plan that has it.
 */
export async function loadNoticeDocument(db: Db, contractId: string, no: number, planReference?: string): Promise<LoadResult> {
  const row = await findInstalmentNotice(db, contractId, no, planReference);
  if (!row) return { ok: false, reason: `contract ${contractId} has no instalment notice n° ${no}${planReference ? ` in plan ${planReference}` : ""}` };
  const { contract, customer, offer } = await loadContractParties(db, contractId);
  const notice: InstalmentNotice = {
    kind: "instalmentNotice",
    contractId,
    planReference: row.plan_reference,
    instalmentNo: row.instalment_no,
    billingDate: row.billing_date,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    amountTtc: row.amount_ttc,
    creditDeductedTtc: row.credit_deducted_ttc,
    amountDueTtc: row.amount_due_ttc,
  };
  const parties = partiesOf({
    customer: {
      id: customer.id,
      kind: customer.kind,
      name: customer.name,
      ...(customer.department ? { department: customer.department } : {}),
      ...(customer.address ? { address: customer.address as { lines: string[]; postcode: string; city: string } } : {}),
      ...(customer.siren ? { siren: customer.siren } : {}),
      ...(customer.siret ? { siret: customer.siret } : {}),
      ...(customer.vat_number ? { vatNumber: customer.vat_number } : {}),
    },
    contract: {
      id: contract.id,
      deliveryPoint: contract.delivery_point,
      start: contract.start_date,
      end: contract.end_date,
      subscribedKva: contract.subscribed_kva as 6,
      priceOption: contract.price_option,
      tariffFormula: contract.tariff_formula as "BTINFCUST",
      billingMode: contract.billing_mode,
      billingDay: contract.billing_day,
      communicatingMeter: contract.communicating_meter,
      invoiceSeries: contract.invoice_series,
    },
    offer: {
      id: offer.id,
      name: offer.name,
      capacity: offer.capacity,
      subscription: [],
      energy: [],
      ...(offer.late_payment_rate_pct !== null ? { latePaymentRatePct: offer.late_payment_rate_pct } : {}),
    },
    // A notice is never a contract's first invoice: the effective date goes on the first invoice.
    billing: { lastBillingDate: row.billing_date },
  });
  return { ok: true, document: { kind: "instalmentNotice", notice, parties } };
}

/** Renders a loaded document (the pure renderer; Factur-X for a professional customer's invoice). */
export function renderPdf(doc: StoredDocument, options: RenderOptions = {}): Promise<Uint8Array> {
  return renderDocumentPdf(doc, options);
}
