-- Issue 15 (docs/performance.md, "The workers' PostgreSQL side, third pass"): the issuing transaction
-- of an invoice (issued_txid, migration 0021: what "issued means closed" checks) is stamped by the
-- column's default, txid_current(); the row trigger now runs only for a row that does not carry the
-- current transaction's id already (an explicit value, or null), and stamps it as before. The end state
-- is the same for every row — issued_txid is always the inserting transaction's — without one PL/pgSQL
-- call per invoice (the night's COPY never names the column: the default stamps it).
drop trigger invoice_issuing_transaction on invoice;
create trigger invoice_issuing_transaction before insert on invoice for each row
  when (new.issued_txid is distinct from txid_current())
  execute function stamp_issuing_transaction();
