-- Issue 15: the lines a contract's documents carry in the run, beside the documents it issued, written
-- with its outcome in the chunk's transaction (the same statement). A queued run's summary, counted once
-- when the run closes, then adds up the run's outcomes instead of looking up every invoice's lines (at
-- 100,000 contracts that count took ~0.5 s of a backend at the close; ~5 s at a million).
-- Null: an outcome recorded before this migration; a run holding one is counted from its lines as before.
-- Nullable without a default: adding the column rewrites nothing, whatever the table's size.
alter table billing_run_outcome add column lines integer null check (lines >= 0);
