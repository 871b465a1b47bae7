-- Issue 15 item 5 (docs/performance.md, "Lean write"): invoice lines partitioned by the issue month of
-- their invoice, so a year of nights stays fast to query, audit and archive (a month is one partition:
-- detach it to archive it). The lines carry their invoice's issue date (the partition key, part of the
-- primary key). Partitions are made ahead by ensure_invoice_line_partitions, which the write path calls
-- with each chunk's issue dates (this month and the next two); a line whose month has no partition yet
-- lands in invoice_line_default — never a failure at a month boundary.
--
-- Commit checks (issue 15 item 3): a line's deferred checks — the foreign key to invoice and the
-- "issued means closed" trigger — were two lookups of its invoice per line at commit. The trigger now
-- also refuses a line without its invoice (what the foreign key did: invoice rows cannot be deleted,
-- their triggers refuse it) and checks each invoice once per transaction, not once per line.

alter table invoice_line rename to invoice_line_unpartitioned;
alter index invoice_line_pkey rename to invoice_line_unpartitioned_pkey;

create table invoice_line (
  invoice_id bigint not null,
  issue_date date not null,
  line_no integer not null constraint invoice_line_line_no_check check (line_no > 0),
  kind text not null constraint invoice_line_kind_check check (kind = any (array['subscription', 'cta', 'energy', 'excise', 'capacityLevy',
    'latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty', 'distributorService', 'longOutageCredit',
    'missedAppointmentCredit'])),
  register text,
  period_start date not null,
  period_end date not null,
  quantity numeric not null,
  quantity_unit text not null constraint invoice_line_quantity_unit_check check (quantity_unit = any (array['kWh', 'month', 'charge'])),
  unit_price numeric not null,
  amount numeric not null,
  vat_rate numeric not null,
  rule text,
  inputs jsonb not null,
  explanation text,
  primary key (invoice_id, line_no, issue_date)
) partition by range (issue_date);

create table invoice_line_default partition of invoice_line default;

-- The partitions of the months of `dates` and of the `ahead` months after each. Cheap when they exist
-- (no lock); otherwise one session at a time creates them (the lock on invoice_line serialises callers
-- and lets them see each other's partitions). A month whose lines already sit in the default partition
-- keeps them there (issued lines are never moved).
create function ensure_invoice_line_partitions(dates date[], ahead int default 2) returns void
language plpgsql as $$
declare
  months date[];
  m date;
  name text;
begin
  select array_agg(distinct date_trunc('month', d)::date + make_interval(months => k))
    into months from unnest(dates) d, generate_series(0, ahead) k;
  if months is null then return; end if;
  if not exists (select 1 from unnest(months) x where to_regclass(format('invoice_line_%s', to_char(x, 'YYYY_MM'))) is null) then
    return;
  end if;
  lock table invoice_line in share update exclusive mode;
  foreach m in array months loop
    name := format('invoice_line_%s', to_char(m, 'YYYY_MM'));
    continue when to_regclass(name) is not null;
    continue when exists (select 1 from invoice_line_default where issue_date >= m and issue_date < (m + interval '1 month')::date);
    execute format('create table %I partition of invoice_line for values from (%L) to (%L)', name, m, (m + interval '1 month')::date);
    execute format('create trigger invoice_line_no_truncate before truncate on %I for each statement execute function forbid_change_of_issued()', name);
  end loop;
end;
$$;

-- The lines issued so far, in their months' partitions.
select ensure_invoice_line_partitions(array_agg(distinct issue_date), 0) from invoice;
insert into invoice_line (invoice_id, issue_date, line_no, kind, register, period_start, period_end, quantity,
  quantity_unit, unit_price, amount, vat_rate, rule, inputs, explanation)
select l.invoice_id, i.issue_date, l.line_no, l.kind, l.register, l.period_start, l.period_end, l.quantity,
  l.quantity_unit, l.unit_price, l.amount, l.vat_rate, l.rule, l.inputs, l.explanation
from invoice_line_unpartitioned l join invoice i on i.id = l.invoice_id;
drop table invoice_line_unpartitioned;

-- A partition's name is not the table's: messages name invoice_line.
create or replace function forbid_change_of_issued() returns trigger
language plpgsql as $$
declare
  tab text := case when TG_TABLE_NAME like 'invoice\_line\_%' then 'invoice_line' else TG_TABLE_NAME end;
begin
  if TG_LEVEL = 'STATEMENT' then
    raise exception '% holds issued documents and cannot be changed (corrections are new documents)', tab
      using errcode = 'restrict_violation';
  elsif TG_TABLE_NAME = 'invoice' then
    raise exception 'invoice % is issued and cannot be changed (corrections are new documents)', OLD.number
      using errcode = 'restrict_violation';
  elsif TG_TABLE_NAME = 'case_part' then
    raise exception 'case part % is written once and cannot be changed', OLD.hash
      using errcode = 'restrict_violation';
  else
    raise exception '% of invoice id % is issued and cannot be changed (corrections are new documents)',
      tab, OLD.invoice_id
      using errcode = 'restrict_violation';
  end if;
end;
$$;

create or replace function forbid_addition_to_issued() returns trigger
language plpgsql as $$
declare
  parent record;
  tab text := case when TG_TABLE_NAME like 'invoice\_line%' then 'invoice_line' else TG_TABLE_NAME end;
begin
  -- A line: its invoice was checked for an earlier line of this transaction (lines come invoice by
  -- invoice): nothing more to check.
  if tab = 'invoice_line' and current_setting('billing.line_invoice_checked', true) = new.invoice_id::text then
    return null;
  end if;
  select number, issued_txid into parent from invoice where id = new.invoice_id;
  if not found then
    -- A line has no foreign key (this check is it); the other tables' deferred foreign keys report it.
    if tab = 'invoice_line' then
      raise exception 'invoice line % refers to invoice id %, which does not exist', new.line_no, new.invoice_id
        using errcode = 'foreign_key_violation', table = tab;
    end if;
    return null;
  end if;
  if parent.issued_txid <> txid_current() then
    raise exception 'invoice % is issued: no % can be added to it (corrections are new documents)',
      parent.number, case tab
        when 'invoice_line' then 'line'
        when 'invoice_vat' then 'VAT group'
        when 'invoice_input' then 'input'
        else 'charge billing' end
      using errcode = 'restrict_violation', table = tab;
  end if;
  if tab = 'invoice_line' then
    perform set_config('billing.line_invoice_checked', new.invoice_id::text, true);
  end if;
  return null;
end;
$$;

create trigger invoice_line_immutable before delete or update on invoice_line
  for each row execute function forbid_change_of_issued();
create trigger invoice_line_no_truncate before truncate on invoice_line
  for each statement execute function forbid_change_of_issued();
create trigger invoice_line_no_truncate before truncate on invoice_line_default
  for each statement execute function forbid_change_of_issued();
create constraint trigger invoice_line_closed after insert on invoice_line
  deferrable initially deferred for each row execute function forbid_addition_to_issued();
