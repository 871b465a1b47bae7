-- 0026 — issue 14 (R3 · R4 · R9 after R8's final invoice): the charges invoice.
--
-- Charges of the account that arise after an ended contract's final invoice (a late-payment penalty on
-- that invoice, a late refund's penalty, a distributor service or compensation reported late) have no
-- next invoice to ride on: the night issues them on a document of their own, kind 'chargesInvoice', in
-- the contract's invoice series (gapless numbering, hashed chain, immutable like every invoice). It
-- carries the `final` section of the end it follows. One per contract and billing date (the unique
-- index of 0013 covers it); a rerun finds the charges billed (ledger_charge_billing) and issues nothing.
alter table invoice drop constraint invoice_kind_check;
alter table invoice add constraint invoice_kind_check
  check (kind in ('monthlyInvoice', 'trueUpInvoice', 'creditNote', 'chargesInvoice'));
