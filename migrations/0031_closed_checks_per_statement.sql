-- Issue 15 item 3 (docs/performance.md, "Lean write, PostgreSQL side"): "issued means closed" checked
-- per statement and per invoice, not per row. The deferred row triggers invoice_line_closed,
-- invoice_vat_closed and invoice_input_closed queued one event per row (about 10 lines, a VAT group and
-- an input per invoice) and ran a PL/pgSQL call for each at commit (with the two deferred foreign keys,
-- 23 % of the PostgreSQL CPU of a replayed chunk). They become statement triggers with the statement's
-- rows as a transition table: each notes, in one row of invoice_addition_pending, the invoices its
-- rows name (the write path adds lines, VAT groups and inputs before it numbers and inserts the
-- invoices, under the series lock, so they cannot be checked before commit). At commit, that note's
-- deferred row trigger checks the transaction's notes together, each invoice once: it must exist and
-- have been issued by this transaction, else the transaction is refused with the invoice's number, as
-- before (a line has no foreign key: this is it, as in migration 0029; VAT groups and inputs keep their
-- deferred foreign keys). The check deletes the notes: the table is empty between transactions.
-- A statement trigger fires for the table the statement names: the root invoice_line and each of its
-- partitions carry one (ensure_invoice_line_partitions adds it to the months it creates).

create table invoice_addition_pending (
  txid bigint not null default txid_current(),
  tab text not null,
  invoice_ids bigint[] not null,
  -- For lines, the smallest line number per invoice (in invoice_ids' order), for the message.
  line_nos int[]
);

create function forbid_addition_to_issued_set() returns trigger
language plpgsql as $$
declare
  tab text := case when TG_TABLE_NAME like 'invoice\_line%' then 'invoice_line' else TG_TABLE_NAME end;
begin
  if tab = 'invoice_line' then
    insert into invoice_addition_pending (tab, invoice_ids, line_nos)
    select tab, array_agg(a.invoice_id), array_agg(a.line_no)
      from (select invoice_id, min(line_no) as line_no from added group by invoice_id) a
      having count(*) > 0;
  else
    insert into invoice_addition_pending (tab, invoice_ids)
    select tab, array_agg(a.invoice_id)
      from (select distinct invoice_id from added) a
      having count(*) > 0;
  end if;
  return null;
end;
$$;

-- At commit, the first of the transaction's notes checks them all (each invoice once, whatever the
-- tables that named it) and removes them; the others find theirs gone.
create function check_addition_pending() returns trigger
language plpgsql as $$
declare
  bad record;
begin
  if not exists (select 1 from invoice_addition_pending where ctid = new.ctid) then
    return null;
  end if;
  select p.tab, p.id, p.line_no, i.number, i.id is null as absent into bad
    from (select distinct on (u.id) u.id, x.tab, u.line_no
            from invoice_addition_pending x, unnest(x.invoice_ids, x.line_nos) as u(id, line_no)
            where x.txid = txid_current()
            order by u.id, x.tab <> 'invoice_line') p
    left join invoice i on i.id = p.id
    where i.id is null or i.issued_txid <> txid_current()
    order by i.id is null, p.id
    limit 1;
  if found then
    if not bad.absent then
      raise exception 'invoice % is issued: no % can be added to it (corrections are new documents)',
        bad.number, case bad.tab when 'invoice_line' then 'line' when 'invoice_vat' then 'VAT group' else 'input' end
        using errcode = 'restrict_violation', table = bad.tab;
    elsif bad.tab = 'invoice_line' then
      -- A line has no foreign key: this is it (migration 0029).
      raise exception 'invoice line % refers to invoice id %, which does not exist', bad.line_no, bad.id
        using errcode = 'foreign_key_violation', table = bad.tab;
    end if;
    -- A VAT group or an input without its invoice: their deferred foreign keys report it at this commit.
  end if;
  delete from invoice_addition_pending where txid = txid_current();
  return null;
end;
$$;

create constraint trigger invoice_addition_pending_check after insert on invoice_addition_pending
  deferrable initially deferred for each row execute function check_addition_pending();

drop trigger invoice_line_closed on invoice_line;
drop trigger invoice_vat_closed on invoice_vat;
drop trigger invoice_input_closed on invoice_input;

create trigger invoice_line_closed after insert on invoice_line
  referencing new table as added for each statement execute function forbid_addition_to_issued_set();
create trigger invoice_vat_closed after insert on invoice_vat
  referencing new table as added for each statement execute function forbid_addition_to_issued_set();
create trigger invoice_input_closed after insert on invoice_input
  referencing new table as added for each statement execute function forbid_addition_to_issued_set();

-- The partitions there are (the default one and the months made so far).
do $$
declare
  p regclass;
begin
  for p in select inhrelid::regclass from pg_inherits where inhparent = 'invoice_line'::regclass loop
    execute format('create trigger invoice_line_closed after insert on %s referencing new table as added '
      'for each statement execute function forbid_addition_to_issued_set()', p);
  end loop;
end;
$$;

create or replace function ensure_invoice_line_partitions(dates date[], ahead int default 2) returns void
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
    execute format('create trigger invoice_line_closed after insert on %I referencing new table as added '
      'for each statement execute function forbid_addition_to_issued_set()', name);
  end loop;
end;
$$;

-- The row function stays for ledger_charge_billing (one row per charge billed, off the night's path);
-- its invoice_line branch and transaction-local setting are no longer used.
