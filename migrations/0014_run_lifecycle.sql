-- Issue 13: a run's lifecycle. A run is `running` while the process that opened it lives (it holds a
-- session advisory lock on PostgreSQL for as long); `finished`, `failed` (a step stopped it); or
-- `interrupted`: its process died, found by the next run, which bills what it left (it resumes it:
-- billing is idempotent, so what the dead run issued stays issued and the rest is still due).
alter table billing_run drop constraint billing_run_status_check;
alter table billing_run add constraint billing_run_status_check
  check (status in ('running', 'finished', 'failed', 'interrupted'));
alter table billing_run add column interrupted_at timestamptz null;
-- The run that found this one dead (and billed what it left), and the reverse link.
alter table billing_run add column interrupted_by bigint null references billing_run (id);
alter table billing_run add column resumes_run_id bigint null references billing_run (id);
create index billing_run_running on billing_run (id) where status = 'running';
