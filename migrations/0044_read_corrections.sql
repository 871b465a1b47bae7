-- 0044 — the indexes a correction of a smoothed contract's true-up was made on (R5 · CGV 6.6 on R1 · CGV 6.1).
--
-- A true-up measures its year on the distributor's indexes, interpolated at the plan's start and anniversary:
-- the next true-up starts where the corrected one ends, on the same reads. meter_read keeps one accepted index
-- per (contract, date, register, source) and never changes (0008): a distributor's corrected index of the same
-- date cannot be stored there. A correction that replaced a true-up records here the reads it was made on
-- (its what-if reads), and the smoothed cases the night builds read them over meter_read — the latest
-- correction's value of a (date, register, source) wins, a read no import brought is added, received on the
-- correction's day — so the next true-up measures on what the corrected one did (docs/rules.md "Corrections").
-- Append-only, like the reads and the corrections.
create table read_correction (
  correction_id bigint not null references correction (id),
  contract_id   text not null references contract (id),
  read_date     date not null,
  source        text not null check (source in ('distributorActual', 'teleRead', 'selfRead')),
  register      text not null,
  index_value   numeric not null check (index_value >= 0),
  -- The correction's request date: the day the corrected index became known to the store.
  recorded_on   date not null,
  primary key (correction_id, read_date, register, source)
);
create index read_correction_contract on read_correction (contract_id, read_date);

create trigger read_correction_immutable before update or delete on read_correction
  for each row execute function forbid_change_of_correction();
create trigger read_correction_no_truncate before truncate on read_correction
  for each statement execute function forbid_change_of_correction();
