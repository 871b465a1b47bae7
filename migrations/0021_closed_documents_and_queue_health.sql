-- 0021 — issue 13 items 4 and 5.

-- Issued means closed (item 5) ---------------------------------------------------------------------
-- 0001 forbids UPDATE, DELETE and TRUNCATE of invoices and of their lines, VAT groups and inputs, but an
-- INSERT of a child row was still accepted: an extra line, VAT group or input could be added to an
-- invoice issued long ago. Credit notes and replacing invoices (0013) are invoice rows, so the same
-- rules cover them. The smoothed documents of 0004 (instalment plans, notices, readjustment checks) have
-- no child rows: each is a document of its own, immutable by 0004's triggers; a notice or readjustment
-- that later names a plan is a new document, not a change of the plan.
--
-- The rule: a child row (invoice_line, invoice_vat, invoice_input, ledger_charge_billing) is accepted
-- only in the transaction that inserts its invoice. Why this form:
-- - the issuing path (invoice.repository.ts issueInvoices) writes the children BEFORE the invoice row
--   (their foreign keys are deferred), so a BEFORE INSERT check "does the invoice exist yet?" would pass
--   for them, but also for a child written for an id another transaction is about to issue; and a
--   check at statement time cannot see a parent inserted later in the same transaction;
-- - so the check is a deferred constraint trigger, run at COMMIT, when the invoice row must exist (the
--   foreign key says so) and the question is only "was it inserted by this transaction?";
-- - "this transaction" is the top-level transaction id, txid_current(), stamped on the invoice row by a
--   BEFORE INSERT trigger (a caller cannot choose it; an UPDATE of it is forbidden like any other).
--   Not xmin: a row inserted under a savepoint (the dry run's rolled-back store nests every transaction
--   as a savepoint) carries its subtransaction's id, not the top-level one; and not issued_at: now() of
--   two transactions can be equal.
-- Rows issued before this migration get the migration's own transaction id (the volatile default is
-- evaluated per row when the column is added), so they are closed too.
alter table invoice add column issued_txid bigint not null default txid_current();

create function stamp_issuing_transaction() returns trigger
language plpgsql as $$
begin
  new.issued_txid := txid_current();
  return new;
end;
$$;
create trigger invoice_issuing_transaction before insert on invoice
  for each row execute function stamp_issuing_transaction();

create function forbid_addition_to_issued() returns trigger
language plpgsql as $$
declare
  parent record;
begin
  select number, issued_txid into parent from invoice where id = new.invoice_id;
  -- No parent: the deferred foreign key reports it at the same commit.
  if found and parent.issued_txid <> txid_current() then
    raise exception 'invoice % is issued: no % can be added to it (corrections are new documents)',
      parent.number, case TG_TABLE_NAME
        when 'invoice_line' then 'line'
        when 'invoice_vat' then 'VAT group'
        when 'invoice_input' then 'input'
        else 'charge billing' end
      using errcode = 'restrict_violation', table = TG_TABLE_NAME;
  end if;
  return null;
end;
$$;

create constraint trigger invoice_line_closed after insert on invoice_line
  deferrable initially deferred for each row execute function forbid_addition_to_issued();
create constraint trigger invoice_vat_closed after insert on invoice_vat
  deferrable initially deferred for each row execute function forbid_addition_to_issued();
create constraint trigger invoice_input_closed after insert on invoice_input
  deferrable initially deferred for each row execute function forbid_addition_to_issued();
-- Which invoice line billed a charge (0009) is written with the invoice; never re-pointed afterwards.
create constraint trigger ledger_charge_billing_closed after insert on ledger_charge_billing
  deferrable initially deferred for each row execute function forbid_addition_to_issued();
