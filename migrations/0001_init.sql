-- 0001 — initial schema of the billing store.
-- Money and kWh are numeric (exact decimals), civil dates are date, enums are text + CHECK.
-- Validity intervals are [valid_from, valid_to) with valid_to null meaning "open".

-- Customers and contracts ---------------------------------------------------------------------------

create table customer (
  id          text primary key,
  kind        text not null check (kind in ('residential', 'professional')),
  name        text not null,
  department  text null,
  created_at  timestamptz not null default now()
);

create table offer (
  id        text primary key,
  name      text not null,
  capacity  text not null default 'included' check (capacity in ('included', 'passThrough'))
);

create table offer_price (
  id            bigserial primary key,
  offer_id      text not null references offer (id),
  component     text not null check (component in ('subscription', 'energy')),
  price_option  text not null check (price_option in ('BASE', 'HPHC')),
  kva           int null,
  register      text null,
  valid_from    date not null,
  valid_to      date null,
  -- € HT per month for subscription (supply part), € HT per kWh for energy (supply part).
  amount        numeric not null,
  constraint offer_price_period check (valid_to is null or valid_to > valid_from),
  constraint offer_price_shape check (
    (component = 'subscription' and kva is not null and register is null)
    or (component = 'energy' and kva is null and register is not null)
  )
);
create unique index offer_price_key
  on offer_price (offer_id, component, price_option, coalesce(kva, 0), coalesce(register, ''), valid_from);

create table reference_value (
  id          bigserial primary key,
  series      text not null check (series in ('networkTariff', 'excise', 'cta', 'vat', 'capacity')),
  -- e.g. the tariff formula for networkTariff, '' otherwise.
  key         text not null default '',
  valid_from  date not null,
  valid_to    date null,
  value       jsonb not null,
  source      text not null,
  unique (series, key, valid_from),
  constraint reference_value_period check (valid_to is null or valid_to > valid_from)
);

create table contract (
  id                  text primary key,
  customer_id         text not null references customer (id),
  delivery_point      text not null check (delivery_point ~ '^[0-9]{14}$'),
  offer_id            text not null references offer (id),
  subscribed_kva      int not null check (subscribed_kva in (3, 6, 9, 12, 15, 18, 24, 30, 36)),
  price_option        text not null check (price_option in ('BASE', 'HPHC')),
  tariff_formula      text not null,
  billing_mode        text not null default 'monthly' check (billing_mode in ('monthly', 'smoothed')),
  billing_day         int not null check (billing_day between 1 and 31),
  communicating_meter boolean not null,
  start_date          date not null,
  end_date            date null,
  invoice_series      text not null default 'FA',
  -- The next scheduled billing date not yet invoiced; null = nothing more to bill.
  next_billing_date   date null,
  created_at          timestamptz not null default now(),
  constraint contract_period check (end_date is null or end_date >= start_date)
);
-- The nightly batch: contracts due on or before a date.
create index contract_due on contract (next_billing_date, id);
create index contract_customer on contract (customer_id);
create index contract_offer on contract (offer_id);

create table meter_read (
  id           bigserial primary key,
  contract_id  text not null references contract (id),
  read_date    date not null,
  source       text not null check (source in ('distributorActual', 'teleRead', 'selfRead', 'connectedStation')),
  register     text not null,
  index_value  numeric not null check (index_value >= 0),
  received_at  timestamptz not null default now(),
  -- Its index also serves lookups by (contract_id, read_date).
  unique (contract_id, read_date, register, source)
);

-- Billing runs --------------------------------------------------------------------------------------

create table billing_run (
  id                   bigserial primary key,
  run_date             date not null,
  started_at           timestamptz not null default now(),
  finished_at          timestamptz null,
  status               text not null default 'running' check (status in ('running', 'finished', 'failed')),
  engine_version       text not null,
  contracts_billed     int not null default 0,
  contracts_unchanged  int not null default 0,
  contracts_failed     int not null default 0,
  invoices             int not null default 0,
  lines                int not null default 0
);
create index billing_run_date on billing_run (run_date);

create table billing_run_outcome (
  run_id       bigint not null references billing_run (id),
  contract_id  text not null,
  outcome      text not null check (outcome in ('billed', 'unchanged', 'failed')),
  reason       text null,
  invoices     int not null default 0,
  primary key (run_id, contract_id)
);
create index billing_run_outcome_contract on billing_run_outcome (contract_id);

-- Issued documents (immutable) ----------------------------------------------------------------------

create table invoice_series (
  id        text primary key,            -- e.g. 'FA-2025'
  prefix    text not null,
  year      int not null,
  last_seq  bigint not null default 0 check (last_seq >= 0),
  last_hash text not null default ''
);

-- Content-addressed shared parts of computation inputs (offer prices, reference data), written once.
create table case_part (
  hash  text primary key,
  body  jsonb not null
);

create table invoice (
  id                  bigserial primary key,
  series_id           text not null references invoice_series (id),
  seq                 bigint not null check (seq > 0),
  number              text not null unique,
  kind                text not null check (kind in ('monthlyInvoice')),
  contract_id         text not null references contract (id),
  customer_id         text not null references customer (id),
  -- The delivery point as printed on the document (part of the hashed document).
  delivery_point      text not null,
  billing_date        date not null,
  issue_date          date not null,
  due_date            date not null,
  subscription_start  date null,
  subscription_end    date null,
  energy_start        date null,
  energy_end          date null,
  total_ht            numeric not null,
  total_vat           numeric not null,
  total_ttc           numeric not null,
  indexes             jsonb not null,
  run_id              bigint null references billing_run (id),
  engine_version      text not null,
  input_hash          text not null,
  previous_hash       text not null,
  hash                text not null,
  issued_at           timestamptz not null default now(),
  unique (series_id, seq),
  -- Idempotency: a document is issued once.
  unique (contract_id, kind, billing_date),
  check ((subscription_start is null) = (subscription_end is null)),
  check ((energy_start is null) = (energy_end is null))
);
create index invoice_customer on invoice (customer_id);
create index invoice_run on invoice (run_id) where run_id is not null;

create table invoice_line (
  invoice_id     bigint not null references invoice (id) deferrable initially deferred,
  line_no        int not null check (line_no > 0),
  kind           text not null check (kind in ('subscription', 'cta', 'energy', 'excise')),
  register       text null,
  period_start   date not null,
  period_end     date not null,
  quantity       numeric not null,
  quantity_unit  text not null check (quantity_unit in ('kWh', 'month')),
  unit_price     numeric not null,
  amount         numeric not null,
  vat_rate       numeric not null,
  rule           text not null,
  inputs         jsonb not null,
  explanation    text not null,
  primary key (invoice_id, line_no)
);

create table invoice_vat (
  invoice_id  bigint not null references invoice (id) deferrable initially deferred,
  -- Position of the group on the document (the document's order is part of what is hashed).
  group_no    int not null check (group_no > 0),
  rate        numeric not null,
  base        numeric not null,
  amount      numeric not null,
  primary key (invoice_id, rate)
);

create table invoice_input (
  invoice_id     bigint primary key references invoice (id) deferrable initially deferred,
  case_hash      text not null,
  contract_part  jsonb not null,
  -- {"offer": "<hash>", "reference": "<hash>"} pointing into case_part.
  shared_parts   jsonb not null
);

-- Immutability: issued documents and case parts are never updated, deleted or truncated.

create function forbid_change_of_issued() returns trigger
language plpgsql as $$
begin
  if TG_LEVEL = 'STATEMENT' then
    raise exception '% holds issued documents and cannot be changed (corrections are new documents)', TG_TABLE_NAME
      using errcode = 'restrict_violation';
  elsif TG_TABLE_NAME = 'invoice' then
    raise exception 'invoice % is issued and cannot be changed (corrections are new documents)', OLD.number
      using errcode = 'restrict_violation';
  elsif TG_TABLE_NAME = 'case_part' then
    raise exception 'case part % is written once and cannot be changed', OLD.hash
      using errcode = 'restrict_violation';
  else
    raise exception '% of invoice id % is issued and cannot be changed (corrections are new documents)',
      TG_TABLE_NAME, OLD.invoice_id
      using errcode = 'restrict_violation';
  end if;
end;
$$;

create trigger invoice_immutable before update or delete on invoice
  for each row execute function forbid_change_of_issued();
create trigger invoice_no_truncate before truncate on invoice
  for each statement execute function forbid_change_of_issued();
create trigger invoice_line_immutable before update or delete on invoice_line
  for each row execute function forbid_change_of_issued();
create trigger invoice_line_no_truncate before truncate on invoice_line
  for each statement execute function forbid_change_of_issued();
create trigger invoice_vat_immutable before update or delete on invoice_vat
  for each row execute function forbid_change_of_issued();
create trigger invoice_vat_no_truncate before truncate on invoice_vat
  for each statement execute function forbid_change_of_issued();
create trigger invoice_input_immutable before update or delete on invoice_input
  for each row execute function forbid_change_of_issued();
create trigger invoice_input_no_truncate before truncate on invoice_input
  for each statement execute function forbid_change_of_issued();
create trigger case_part_immutable before update or delete on case_part
  for each row execute function forbid_change_of_issued();
create trigger case_part_no_truncate before truncate on case_part
  for each statement execute function forbid_change_of_issued();
