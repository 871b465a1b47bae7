-- 0020 — the supplier's own data and safety bounds before issuing (issue 13, items 7 and 8).
--
-- 1. `billing reference import <file>`: each import of a reference data file is recorded with who
--    loaded it and when (the store's clock), the file's name, hash and description, and what it
--    changed (rows inserted, open rows closed, gap rows removed or shortened). Rows it inserted point
--    to it; rows shipped by migrations have no import.
create table reference_import (
  id           bigserial primary key,
  loaded_by    text not null check (loaded_by <> ''),
  loaded_at    timestamptz not null,
  file_name    text not null,
  file_sha256  text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
  description  text not null,
  -- { inserted: [...], closed: [...], removed: [...] }, each row { series, key, validFrom, validTo? }.
  changes      jsonb not null
);
alter table reference_value add column import_id bigint null references reference_import (id);

-- 2. Held for review: the documents the night computed for a contract whose invoice crossed a safety
--    bound (a credit beyond a threshold, a total beyond N × the contract's recent average). Nothing is
--    issued or numbered for the contract while it is held, and the nightly run leaves it alone;
--    `billing review release` issues the held documents (numbered then), `reject` records the reason
--    and the next run bills the contract again from its data.
create table held_invoice (
  id                 bigserial primary key,
  run_id             bigint not null references billing_run (id),
  contract_id        text not null references contract (id),
  run_date           date not null,
  -- The contract's next billing date when the run computed the documents (release checks it is unchanged).
  from_billing_date  date null,
  -- The largest |total TTC| of the held invoices, and why they are held (every bound crossed).
  total_ttc          numeric(14, 2) not null,
  reason             text not null,
  -- What release writes, as the run would have: { invoices: NewInvoice[], smoothed, next, switchedToMonthly }.
  documents          jsonb not null,
  status             text not null default 'held' check (status in ('held', 'released', 'rejected')),
  decided_by         text null,
  decided_at         timestamptz null,
  decision_reason    text null,
  -- Invoices issued by the release.
  invoice_ids        bigint[] null,
  created_at         timestamptz not null default now(),
  check ((status = 'held') = (decided_at is null)),
  check (status <> 'rejected' or (decision_reason is not null and decision_reason <> ''))
);
-- At most one held batch per contract: a held contract is not billed again until reviewed.
create unique index held_invoice_open on held_invoice (contract_id) where status = 'held';
create index held_invoice_status on held_invoice (status, id);

alter table billing_run_outcome drop constraint billing_run_outcome_outcome_check;
alter table billing_run_outcome add constraint billing_run_outcome_outcome_check check (outcome in ('billed', 'unchanged', 'failed', 'held'));
