-- Issue 15 (docs/performance.md, "The billing schedule in its own table"): a contract's next billing
-- date moves to a narrow table of its own. The night moves every billed contract's date (one update per
-- chunk of 1,000): on `contract` that update wrote a new version of the wide row and an entry in each of
-- its five indexes (never a HOT update, contract_due indexing the date), 24–25 ms of backend CPU per
-- 1,000 contracts; here it writes a small row and its two index entries, and the contract row is left
-- alone. One source of truth: the column is dropped from `contract`.
create table contract_schedule (
  contract_id       text primary key references contract (id) on delete cascade,
  -- The next scheduled billing date not yet invoiced; null = nothing more to bill.
  next_billing_date date null
);
insert into contract_schedule (contract_id, next_billing_date) select id, next_billing_date from contract;
-- The nightly batch: contracts due on or before a date.
create index contract_schedule_due on contract_schedule (next_billing_date, contract_id);

-- Every contract has its schedule row, written in the transaction that inserts the contract (checked at
-- its commit): a contract without one would never be seen by a night.
create function contract_has_schedule() returns trigger language plpgsql as $$
begin
  if exists (select 1 from contract where id = new.id)
     and not exists (select 1 from contract_schedule where contract_id = new.id) then
    raise exception 'contract % has no row in contract_schedule (insert both in one transaction)', new.id
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;
create constraint trigger contract_schedule_required after insert on contract
  deferrable initially deferred for each row execute function contract_has_schedule();

drop index contract_due;
alter table contract drop column next_billing_date;
