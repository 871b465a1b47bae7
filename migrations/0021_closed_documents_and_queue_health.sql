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

-- Queue that heals (item 4) ------------------------------------------------------------------------
-- graphile-worker 0.17 locks a job with its worker's id (jobs.locked_by) and has no heartbeat: a worker
-- killed mid-range keeps its job locked until the queue's own 4-hour lock expiry, so `billing run
-- --queue` waited and `billing worker --once` skipped it. Each billing worker now beats here (one row
-- per graphile-worker worker pool, i.e. per `billing worker` process: 0.17 locks a job with its pool's
-- id); a worker or
-- the waiting `billing run --queue` that finds a job locked by a worker silent for longer than its
-- stale-after bound unlocks it (graphile-worker's force_unlock_workers) so another worker retries it
-- (docs/architecture.md "Queue that heals"). Not history: rows are removed when a worker stops or is
-- found dead.
create table queue_worker_heartbeat (
  -- The id graphile-worker locks this worker's jobs with (jobs.locked_by).
  worker_id   text primary key,
  -- host:pid of the `billing worker` process, for the operator.
  process     text not null,
  started_at  timestamptz not null default now(),
  beat_at     timestamptz not null default now(),
  -- How often it promised to beat: a worker is judged silent only after max(stale-after, 3 × this).
  beat_every  interval not null
);

-- The ranges of a queued run and how each went, kept after graphile-worker deletes a succeeded job
-- (`billing runs show <id>`). Written with the run's jobs (one transaction), updated by the workers.
create table billing_run_range (
  run_id       bigint not null references billing_run (id),
  range_no     int not null check (range_no >= 0),
  job_key      text not null unique,
  -- Contract ids after after_id (exclusive; null: from the first) up to to_id (inclusive).
  after_id     text null,
  to_id        text not null,
  state        text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
  -- The worker that holds (running) or last held it.
  worker_id    text null,
  started_at   timestamptz null,
  finished_at  timestamptz null,
  attempts     int not null default 0,
  -- The last attempt's error, or why the range was taken from a silent worker.
  last_error   text null,
  primary key (run_id, range_no)
);
