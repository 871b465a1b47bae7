-- 0004 — smoothed billing (CGV 6.1): instalment plans, instalment notices, readjustment checks, and
-- the annual true-up invoice. Plans, notices and checks are issued documents: immutable like invoices.

alter table invoice drop constraint invoice_kind_check;
alter table invoice add constraint invoice_kind_check check (kind in ('monthlyInvoice', 'trueUpInvoice'));
-- The true-up section of a trueUpInvoice (instalments deducted, balance, R4 settlement); null otherwise.
alter table invoice add column true_up jsonb null;
alter table invoice add constraint invoice_true_up_kind check ((kind = 'trueUpInvoice') = (true_up is not null));

-- The customer's declared annual consumption per register (kWh), for a plan without history.
alter table contract add column declared_annual_kwh jsonb null;

create table instalment_plan (
  reference            text primary key,
  contract_id          text not null references contract (id),
  start_date           date not null,
  end_date             date not null,
  issue_date           date not null,
  basis                text not null check (basis in ('history', 'partialHistory', 'peerAverage', 'declared')),
  basis_detail         text not null,
  estimated_kwh        jsonb not null,
  estimated_total_ht   numeric not null,
  estimated_total_ttc  numeric not null,
  -- The 12 instalments as planned (readjustments are their own rows).
  amounts_ttc          jsonb not null,
  credit_to_deduct_ttc numeric not null,
  rule                 text not null,
  run_id               bigint null references billing_run (id),
  issued_at            timestamptz not null default now(),
  unique (contract_id, start_date)
);
create index instalment_plan_contract on instalment_plan (contract_id, start_date desc);

create table instalment_notice (
  contract_id          text not null references contract (id),
  plan_reference       text not null references instalment_plan (reference) deferrable initially deferred,
  instalment_no        int not null check (instalment_no between 1 and 12),
  billing_date         date not null,
  issue_date           date not null,
  due_date             date not null,
  amount_ttc           numeric not null check (amount_ttc >= 0),
  credit_deducted_ttc  numeric not null check (credit_deducted_ttc >= 0),
  amount_due_ttc       numeric not null check (amount_due_ttc >= 0),
  run_id               bigint null references billing_run (id),
  issued_at            timestamptz not null default now(),
  -- Idempotency: one notice per (contract, plan, instalment number).
  primary key (contract_id, plan_reference, instalment_no)
);

create table plan_readjustment (
  contract_id          text not null references contract (id),
  plan_reference       text not null references instalment_plan (reference) deferrable initially deferred,
  check_date           date not null,
  issue_date           date not null,
  applied              boolean not null,
  new_amount_ttc       numeric null,
  -- The 12 instalments after the check.
  amounts_ttc          jsonb not null,
  reason               text not null,
  -- The whole check as the core computed it (consumption, projection, deviation, threshold).
  document             jsonb not null,
  run_id               bigint null references billing_run (id),
  issued_at            timestamptz not null default now(),
  primary key (plan_reference, check_date)
);

create function forbid_change_of_smoothed_document() returns trigger
language plpgsql as $$
begin
  raise exception '% holds issued documents and cannot be changed (corrections are new documents)', TG_TABLE_NAME
    using errcode = 'restrict_violation';
end;
$$;

create trigger instalment_plan_immutable before update or delete on instalment_plan
  for each row execute function forbid_change_of_smoothed_document();
create trigger instalment_plan_no_truncate before truncate on instalment_plan
  for each statement execute function forbid_change_of_smoothed_document();
create trigger instalment_notice_immutable before update or delete on instalment_notice
  for each row execute function forbid_change_of_smoothed_document();
create trigger instalment_notice_no_truncate before truncate on instalment_notice
  for each statement execute function forbid_change_of_smoothed_document();
create trigger plan_readjustment_immutable before update or delete on plan_readjustment
  for each row execute function forbid_change_of_smoothed_document();
create trigger plan_readjustment_no_truncate before truncate on plan_readjustment
  for each statement execute function forbid_change_of_smoothed_document();
