-- R5 · CGV 6.6: corrections are new documents (docs/architecture.md, "Corrections"). A credit note
-- (avoir) cancels an issued invoice in full; the invoice that replaces it references it. Both are rows
-- of the invoice table, so they are numbered gapless per series (credit notes in their own series, e.g.
-- AV-2026), hash-chained, immutable (the invoice triggers), and counted by the customer account like
-- any invoice (a credit note's totals are negative). Their `correction` section is part of the hashed
-- document.
alter table invoice drop constraint invoice_kind_check;
alter table invoice add constraint invoice_kind_check check (kind in ('monthlyInvoice', 'trueUpInvoice', 'creditNote'));
alter table invoice add column correction jsonb null;
-- The invoice a credit note cancels (each invoice at most once), the invoice a new invoice replaces (at most once).
alter table invoice add column cancels_invoice_id bigint null references invoice (id);
alter table invoice add column replaces_invoice_id bigint null references invoice (id);
alter table invoice add constraint invoice_credit_note_cancels check ((kind = 'creditNote') = (cancels_invoice_id is not null));
alter table invoice add constraint invoice_correction_section check ((correction is not null) = (cancels_invoice_id is not null or replaces_invoice_id is not null));
create unique index invoice_cancelled_once on invoice (cancels_invoice_id) where cancels_invoice_id is not null;
create unique index invoice_replaced_once on invoice (replaces_invoice_id) where replaces_invoice_id is not null;
-- One document per (contract, kind, billing date) from the nightly run, as before; a correction's
-- credit note and replacing invoice bill the same dates again, so they are left out of that key.
alter table invoice drop constraint invoice_contract_id_kind_billing_date_key;
create unique index invoice_contract_id_kind_billing_date_key on invoice (contract_id, kind, billing_date)
  where kind <> 'creditNote' and replaces_invoice_id is null;

-- A committed recalculation (billing recalc --commit): its request, keyed so that committing the same
-- request twice issues once, and the documents it issued per replaced invoice. Append-only.
create table correction (
  id bigserial primary key,
  -- sha256 of the canonical request: contract, range, what-if changes, initiator, credit-note series.
  request_key text not null unique,
  contract_id text not null references contract (id),
  requested_on date not null,
  initiated_by text not null check (initiated_by in ('customer', 'supplier')),
  request jsonb not null,
  created_at timestamptz not null default now()
);

create table correction_document (
  correction_id bigint not null references correction (id),
  replaced_invoice_id bigint not null unique references invoice (id),
  credit_note_id bigint not null unique references invoice (id),
  new_invoice_id bigint not null unique references invoice (id),
  primary key (correction_id, replaced_invoice_id)
);
create index correction_contract on correction (contract_id);

create function forbid_change_of_correction() returns trigger language plpgsql as $$
begin
  raise exception '% is a record of issued corrections and cannot be changed', TG_TABLE_NAME
    using errcode = 'restrict_violation';
end;
$$;
create trigger correction_immutable before update or delete on correction
  for each row execute function forbid_change_of_correction();
create trigger correction_no_truncate before truncate on correction
  for each statement execute function forbid_change_of_correction();
create trigger correction_document_immutable before update or delete on correction_document
  for each row execute function forbid_change_of_correction();
create trigger correction_document_no_truncate before truncate on correction_document
  for each statement execute function forbid_change_of_correction();
