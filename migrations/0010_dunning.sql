-- 0010 — the unpaid-bill procedure and vulnerable customers (R10 · CGV 8, 9; décret 2008-780 as
-- amended by décret 2023-133; CASF L115-3). A customer's situation (dated rows), their housing-fund
-- (FSL) applications and decisions, and the procedure's steps with their letters' receipts. All
-- append-only (triggers): a change of situation is a new dated row, a decision or a receipt is its
-- own row, a step is recorded once per procedure (unique), so a rerun of the nightly step sends
-- nothing twice.

-- The customer's situation from a date: the row in force on day D is the latest with
-- effective_from <= D (then the latest recorded). No row: an ordinary customer (a residential
-- customer's supplied home taken as the main residence, a professional's not).
create table customer_situation (
  id              bigserial primary key,
  customer_id     text not null references customer (id),
  effective_from  date not null,
  -- TPN (tarif de première nécessité) beneficiary.
  social_tariff   boolean not null default false,
  -- Chèque énergie beneficiary.
  energy_cheque   boolean not null default false,
  -- Received a housing-fund (FSL) aid to pay a bill to the supplier (CGV 8.3).
  housing_fund_aid boolean not null default false,
  -- Recognised as vulnerable by the FSL commission (CGV 9.1: no suspension-visit fee).
  vulnerable      boolean not null default false,
  -- The supplied home is the customer's main residence (winter truce).
  main_residence  boolean not null,
  -- Where the information came from (agent, file, CLI).
  source          text not null,
  recorded_at     timestamptz not null default now()
);
create index customer_situation_customer on customer_situation (customer_id, effective_from);

-- FSL applications (date de dépôt) and, as their own rows, the FSL's decisions.
create table housing_fund_application (
  id           bigserial primary key,
  customer_id  text not null references customer (id),
  filed_on     date not null,
  recorded_at  timestamptz not null default now(),
  unique (customer_id, filed_on)
);
create table housing_fund_decision (
  application_id  bigint primary key references housing_fund_application (id),
  decided_on      date not null,
  decision        text not null check (decision in ('granted', 'refused')),
  recorded_at     timestamptz not null default now()
);

-- One procedure per customer account, opened on its oldest overdue item (the ledger's item_ref,
-- e.g. 'invoice:FA-000123'). It is open until its 'settled' step.
create table dunning_procedure (
  id             bigserial primary key,
  customer_id    text not null references customer (id),
  item_ref       text not null,
  item_due_date  date not null,
  opened_on      date not null,
  recorded_at    timestamptz not null default now(),
  unique (customer_id, item_ref)
);

-- The steps taken, each once per procedure: the legal basis, the earliest date the engine computed,
-- the day taken, the letter's sending day, the balance then, whether the distributor's visit fee may
-- be re-billed (restriction steps; null for letters), the inputs and the sentence.
create table dunning_step (
  id              bigserial primary key,
  procedure_id    bigint not null references dunning_procedure (id),
  customer_id     text not null references customer (id),
  step            text not null check (step in
                    ('reminder', 'housingFundLetter', 'limitation', 'suspension', 'formalNotice', 'interruption', 'settled')),
  earliest_date   date not null,
  taken_on        date not null,
  letter_sent_on  date null,
  balance_ttc     numeric not null,
  fee_rebillable  boolean null,
  rule            text not null,
  legal_basis     text not null,
  inputs          jsonb not null,
  explanation     text not null,
  recorded_at     timestamptz not null default now(),
  unique (procedure_id, step),
  check ((letter_sent_on is not null) = (step in ('reminder', 'housingFundLetter', 'formalNotice'))),
  check (earliest_date <= taken_on)
);
create index dunning_step_customer on dunning_step (customer_id);

-- A letter's receipt by the customer (R10 counts from it): recorded once.
create table dunning_letter_receipt (
  step_id      bigint primary key references dunning_step (id),
  received_on  date not null,
  source       text not null,
  recorded_at  timestamptz not null default now()
);

create function forbid_change_of_dunning_record() returns trigger
language plpgsql as $$
begin
  raise exception '% is append-only: record a new row instead (R10 history never changes)', TG_TABLE_NAME
    using errcode = 'restrict_violation';
end;
$$;

create trigger customer_situation_append_only before update or delete on customer_situation
  for each row execute function forbid_change_of_dunning_record();
create trigger housing_fund_application_append_only before update or delete on housing_fund_application
  for each row execute function forbid_change_of_dunning_record();
create trigger housing_fund_decision_append_only before update or delete on housing_fund_decision
  for each row execute function forbid_change_of_dunning_record();
create trigger dunning_procedure_append_only before update or delete on dunning_procedure
  for each row execute function forbid_change_of_dunning_record();
create trigger dunning_step_append_only before update or delete on dunning_step
  for each row execute function forbid_change_of_dunning_record();
create trigger dunning_letter_receipt_append_only before update or delete on dunning_letter_receipt
  for each row execute function forbid_change_of_dunning_record();
create trigger customer_situation_no_truncate before truncate on customer_situation
  for each statement execute function forbid_change_of_dunning_record();
create trigger housing_fund_application_no_truncate before truncate on housing_fund_application
  for each statement execute function forbid_change_of_dunning_record();
create trigger housing_fund_decision_no_truncate before truncate on housing_fund_decision
  for each statement execute function forbid_change_of_dunning_record();
create trigger dunning_procedure_no_truncate before truncate on dunning_procedure
  for each statement execute function forbid_change_of_dunning_record();
create trigger dunning_step_no_truncate before truncate on dunning_step
  for each statement execute function forbid_change_of_dunning_record();
create trigger dunning_letter_receipt_no_truncate before truncate on dunning_letter_receipt
  for each statement execute function forbid_change_of_dunning_record();

-- A customer the nightly dunning step could not process, with the reason (the step goes on).
create table dunning_run_failure (
  id           bigserial primary key,
  run_date     date not null,
  customer_id  text not null,
  reason       text not null,
  recorded_at  timestamptz not null default now()
);
create index dunning_run_failure_date on dunning_run_failure (run_date);
