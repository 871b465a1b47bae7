/**
 * @billing/documents — the documents a customer receives, rendered from a stored document alone by
 * pure functions (same input, same bytes): the invoice PDF (monthly invoice, true-up, instalment
 * notice) and, for a professional customer, the Factur-X (PDF/A-3 with its EN 16931 CII XML).
 * docs/invoice-document.md describes every mention and the Factur-X choice.
 */
export { renderInvoicePdf, renderDocumentPdf, type RenderOptions } from "./render.ts";
export { facturXXml, FACTUR_X_FILENAME, FacturXError } from "./factur-x.ts";
export { documentContent, type PrintedContent, type Mention, type Section, type Table } from "./content.ts";
export { partiesOf, type PartiesView, type StoredDocument } from "./printable.ts";
export { DEFAULT_SUPPLIER, supplierIdentitySchema, type SupplierIdentity } from "./supplier.ts";
