-- R2 (CGV 6.2): each monthly invoice records where the consumption it bills comes from — the source
-- used, why each source of higher priority was not used, the latest distributor index it accounts
-- for — and the days the customer may send a self-read for the next invoice. Both are part of the
-- hashed document; null on invoices issued before this migration (their documents have no such key).
alter table invoice add column consumption jsonb null;
alter table invoice add column self_read_window jsonb null;
