/**
 * The one entry point a shell calls (the CLI today, the HTTP API later): a stored document in, PDF
 * bytes out. An invoice to a professional customer is a Factur-X (EN 16931 profile): the same PDF
 * with its CII XML embedded; every other document is a plain PDF/A-3b.
 */
import { documentContent } from "./content.ts";
import { facturXEmbedding } from "./factur-x.ts";
import { layoutPdf } from "./pdf.ts";
import type { StoredDocument } from "./printable.ts";
import { DEFAULT_SUPPLIER, type SupplierIdentity } from "./supplier.ts";

export interface RenderOptions {
  /** Who issues it (default: DEFAULT_SUPPLIER, the seed CGV's identity). */
  readonly supplier?: SupplierIdentity;
  /** false: no Factur-X XML even for a professional customer (default: true). */
  readonly facturX?: boolean;
}

/** Any stored document (invoice, true-up, instalment notice) as PDF bytes — the same bytes every time. */
export async function renderDocumentPdf(doc: StoredDocument, options: RenderOptions = {}): Promise<Uint8Array> {
  const supplier = options.supplier ?? DEFAULT_SUPPLIER;
  const content = documentContent(doc, supplier);
  const embed =
    doc.kind === "invoice" && doc.parties.customer.kind === "professional" && options.facturX !== false
      ? await facturXEmbedding(doc.number, doc.invoice, doc.parties, supplier)
      : undefined;
  return layoutPdf(content, embed);
}

/** An issued invoice as PDF bytes (Factur-X for a professional customer). */
export function renderInvoicePdf(doc: Extract<StoredDocument, { kind: "invoice" }>, options: RenderOptions = {}): Promise<Uint8Array> {
  return renderDocumentPdf(doc, options);
}
