-- R5 · CGV 6.6 (docs/architecture.md, "Never bill twice"): the last correction committed for a contract.
-- A correction (`billing recalc --commit`, the API, an event's retroactive correction) cancels and
-- replaces issued invoices, changing where the contract's billing stands (the indexes billed up to, the
-- subscription billed in advance). The night reads a chunk's contracts, computes, then writes under the
-- contracts' row locks and sets aside any contract whose row changed meanwhile: a correction now writes
-- this column under the same lock, so a night that read the contract before the correction issues
-- nothing for it (billed by the next run, from the corrected invoices) instead of an invoice computed
-- from the cancelled ones.
alter table contract add column last_correction_id bigint null references correction (id);
