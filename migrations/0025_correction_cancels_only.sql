-- R8 · R5 · CGV 6.6 (issue 14): a contract event recorded after the invoices that billed its date is
-- corrected by the recalculation (docs/contract-life.md, "Events dated in an already-billed period").
-- A late end cancels the invoices billed wholly after it by a credit note, with no invoice replacing
-- them (the final invoice replaces the one that billed the end's energy): such a row of
-- correction_document has no new invoice.
alter table correction_document alter column new_invoice_id drop not null;
