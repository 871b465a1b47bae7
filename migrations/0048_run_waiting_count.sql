-- The night's counts: the contracts that wait for an index — a final invoice for its final index
-- (R8 · CGV 10.3), a smoothed true-up for the distributor's index (R1 · CGV 6.1, engine 0.3.5), an invoice
-- for an option change's indexes (R8 · CGV 4) — counted apart from the unchanged ones. Their outcome stays
-- `unchanged` with a reason starting `waiting: ` (billing_run_outcome); from this migration on, a run's
-- contracts_unchanged no longer counts them and contracts_waiting does.
-- Null: a run closed before this migration — its waiting contracts are inside contracts_unchanged, not
-- counted apart (`billing runs show` prints "—"). Nullable without a default: adding the column rewrites
-- nothing, whatever the table's size; old runs are not backfilled (their outcomes may be vacuumed).
alter table billing_run add column contracts_waiting integer null check (contracts_waiting >= 0);
