-- Issue 15 item 1 (docs/performance.md, "Plans"): a run's counts (queue.repository.ts runWrittenCounts,
-- read when the queue closes a run) read the plans, notices and readjustment checks that run wrote
-- through an index on run_id, as invoices (invoice_run) and outcomes (their primary key) already were:
-- never a scan of what every run ever wrote.
create index instalment_plan_run on instalment_plan (run_id) where run_id is not null;
create index instalment_notice_run on instalment_notice (run_id) where run_id is not null;
create index plan_readjustment_run on plan_readjustment (run_id) where run_id is not null;
