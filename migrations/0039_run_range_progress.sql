-- Issue 15: a queued run's progress as its workers report it, chunk by chunk, on its range's row, so
-- that `billing run --queue` waiting on the run sums a few rows instead of counting the run's outcomes
-- and lines every second (at 100,000 contracts that count took 1.5 s of a backend, and the waiter
-- took it again as soon as it ended: a core of the database for the whole night).
-- The counts of every attempt of the range added up (a retried range's first attempt wrote what it
-- reported before it stopped); null until its first chunk is written. Progress for display only: the
-- run's summary is counted from its outcomes and documents once, when it ends.
alter table billing_run_range add column progress jsonb null;
