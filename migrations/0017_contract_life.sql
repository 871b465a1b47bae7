-- R8 (CGV 3.6, 4, 10) and R1: contract life. Each event of a contract — supplier switch, termination,
-- move-out, move-in, power change, withdrawal — with its effective date, who or what asked for it and
-- the day the supplier received it (the night bills what it knew: events received on or before its
-- date). Append-only; one event of a kind per contract and date, so importing the same file again adds
-- nothing. The contract row keeps its current state (end_date, subscribed power history lives here).
create table contract_event (
  id              bigserial primary key,
  contract_id     text not null references contract (id),
  kind            text not null check (kind in ('supplierSwitch', 'termination', 'moveOut', 'moveIn', 'powerChange', 'withdrawal')),
  -- Ending kinds: the contract's end (first day no longer supplied); powerChange: first day at the new
  -- power; moveIn: the first day of supply.
  effective_date  date not null,
  requested_by    text not null check (requested_by in ('customer', 'newSupplier', 'distributor', 'agent')),
  -- Termination / move-out / withdrawal: the day the notice reached the supplier.
  notice_on       date null,
  received_on     date not null,
  -- The figures the event carries (power, fee and its source, asked date, withdrawal deadline, …).
  details         jsonb not null default '{}'::jsonb,
  explanation     text not null,
  -- 'cli', or the imported file and its line.
  origin          text null,
  recorded_at     timestamptz not null default now(),
  unique (contract_id, kind, effective_date)
);
create index contract_event_contract on contract_event (contract_id, received_on);

create function contract_event_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'contract_event is append-only (% refused)', tg_op;
end $$;
create trigger contract_event_no_update before update or delete on contract_event
  for each row execute function contract_event_append_only();

-- R8 (CGV 10.3): the final invoice's section (why and when the contract ended); null on other invoices.
alter table invoice add column final jsonb null;

-- R8 (CGV 4, 5.2): the distributor's fee for a power change and its annual-character charge.
alter table invoice_line drop constraint invoice_line_kind_check;
alter table invoice_line add constraint invoice_line_kind_check
  check (kind in ('subscription', 'cta', 'energy', 'excise', 'capacityLevy', 'distributorService',
                  'latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty'));
