-- 0009 — the customer account (issue 8, part 1): payments received and their import, late-payment
-- penalties and recovery indemnities (R3 · CGV 6.4, Code de commerce L441-10), refunds and their
-- late-refund penalties (R4 · CGV 6.5). One account per customer: its entries are the issued
-- invoices and instalment notices (tables of 0001/0004) plus the rows below; its balance at a date is
-- a sum over them (packages/db/src/ledger.repository.ts, packages/core/src/payment/ledger.ts).
-- Append-only: history never changes (triggers); a refund's payment is its own row, not an update.

-- Payments received (imported from the bank's file). The reference is the idempotency key: the same
-- file imported twice adds nothing; the same reference with another amount is refused by the import.
create table payment (
  reference    text primary key,
  customer_id  text not null references customer (id),
  -- R3: a payment counts on the day the supplier receives it.
  received_on  date not null,
  amount       numeric not null check (amount > 0),
  method       text null,
  source_file  text null,
  imported_at  timestamptz not null default now()
);
create index payment_customer on payment (customer_id, received_on);

-- Charges computed by the nightly payments step and billed on the contract's next invoice: R3
-- penalties, the professional recovery indemnity, R4 late-refund penalties (a negative amount: owed
-- to the customer). One charge per late item and kind (idempotency): a rerun computes nothing new.
create table ledger_charge (
  id            bigserial primary key,
  customer_id   text not null references customer (id),
  -- The contract whose next invoice carries the charge.
  contract_id   text not null references contract (id),
  kind          text not null check (kind in ('latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty')),
  -- The late item: 'invoice:<number>', 'instalment:<contract>/<plan>/<no>' or 'refund:<id>'.
  item_ref      text not null,
  amount        numeric not null,
  computed_on   date not null,
  -- The late days [period_start, period_end): the charge line's period on the invoice.
  period_start  date not null,
  period_end    date not null,
  rule          text not null,
  -- Structured trace (strings) and its sentence, copied onto the invoice line.
  inputs        jsonb not null,
  explanation   text not null,
  -- The whole computation: segments (from, to, days, balance, rate), raw sum, floor, rounding.
  computation   jsonb not null,
  created_at    timestamptz not null default now(),
  unique (item_ref, kind),
  check ((kind = 'lateRefundPenalty') = (amount < 0))
);
create index ledger_charge_contract on ledger_charge (contract_id);
create index ledger_charge_customer on ledger_charge (customer_id);

-- Which invoice line billed a charge: exactly one (primary key), so a rerun never bills it twice.
create table ledger_charge_billing (
  charge_id   bigint primary key references ledger_charge (id),
  invoice_id  bigint not null references invoice (id) deferrable initially deferred,
  line_no     int not null,
  unique (invoice_id, line_no)
);

-- R3 professional customers (Code de commerce L441-10): the offer's late-payment rate, percent a year;
-- null = 3 × the legal rate ("other cases"), which is also the minimum.
alter table offer add column late_payment_rate_pct numeric null check (late_payment_rate_pct >= 0);

-- The customer's request to be refunded a small carried credit (R4), dated.
create table refund_request (
  customer_id   text not null references customer (id),
  requested_on  date not null,
  recorded_at   timestamptz not null default now(),
  primary key (customer_id, requested_on)
);

-- A refund due (R4): decided when an invoice shows a credit ≥ 25.00 € or at termination (trigger
-- 'invoice:<number>'), or on the customer's request ('request:<customer>/<date>'). One per trigger.
create table refund (
  id            bigserial primary key,
  customer_id   text not null references customer (id),
  -- The contract whose next invoice carries a late-refund penalty, if any.
  contract_id   text null references contract (id),
  trigger_ref   text not null unique,
  reason        text not null check (reason in ('threshold', 'termination', 'request')),
  amount        numeric not null check (amount > 0),
  decided_on    date not null,
  due_date      date not null,
  rule          text not null,
  explanation   text not null,
  created_at    timestamptz not null default now()
);
create index refund_customer on refund (customer_id);

-- A refund paid: R4 reading, it counts on the day the customer receives the funds; when only the
-- transfer's execution date is known, that date is used and the fact recorded.
create table refund_payment (
  refund_id            bigint primary key references refund (id),
  paid_on              date not null,
  execution_date_only  boolean not null default false,
  recorded_at          timestamptz not null default now()
);

-- Every invoice the nightly step examined for a credit (R4), with what it found: each once.
create table credit_review (
  invoice_id   bigint primary key references invoice (id),
  reviewed_on  date not null,
  credit       numeric not null,
  outcome      text not null check (outcome in ('none', 'refund', 'carriedForward')),
  explanation  text not null
);

-- The new invoice line kinds: charges, outside the scope of VAT (indemnities, CGI art. 256).
alter table invoice_line drop constraint invoice_line_kind_check;
alter table invoice_line add constraint invoice_line_kind_check
  check (kind in ('subscription', 'cta', 'energy', 'excise', 'capacityLevy', 'latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty'));
alter table invoice_line drop constraint invoice_line_quantity_unit_check;
alter table invoice_line add constraint invoice_line_quantity_unit_check
  check (quantity_unit in ('kWh', 'month', 'charge'));

create function forbid_change_of_account_history() returns trigger
language plpgsql as $$
begin
  raise exception '% is account history and cannot be changed (record a new entry instead)', TG_TABLE_NAME
    using errcode = 'restrict_violation';
end;
$$;

create trigger payment_immutable before update or delete on payment
  for each row execute function forbid_change_of_account_history();
create trigger payment_no_truncate before truncate on payment
  for each statement execute function forbid_change_of_account_history();
create trigger ledger_charge_immutable before update or delete on ledger_charge
  for each row execute function forbid_change_of_account_history();
create trigger ledger_charge_no_truncate before truncate on ledger_charge
  for each statement execute function forbid_change_of_account_history();
create trigger ledger_charge_billing_immutable before update or delete on ledger_charge_billing
  for each row execute function forbid_change_of_account_history();
create trigger ledger_charge_billing_no_truncate before truncate on ledger_charge_billing
  for each statement execute function forbid_change_of_account_history();
create trigger refund_request_immutable before update or delete on refund_request
  for each row execute function forbid_change_of_account_history();
create trigger refund_request_no_truncate before truncate on refund_request
  for each statement execute function forbid_change_of_account_history();
create trigger refund_immutable before update or delete on refund
  for each row execute function forbid_change_of_account_history();
create trigger refund_no_truncate before truncate on refund
  for each statement execute function forbid_change_of_account_history();
create trigger refund_payment_immutable before update or delete on refund_payment
  for each row execute function forbid_change_of_account_history();
create trigger refund_payment_no_truncate before truncate on refund_payment
  for each statement execute function forbid_change_of_account_history();
create trigger credit_review_immutable before update or delete on credit_review
  for each row execute function forbid_change_of_account_history();
create trigger credit_review_no_truncate before truncate on credit_review
  for each statement execute function forbid_change_of_account_history();
