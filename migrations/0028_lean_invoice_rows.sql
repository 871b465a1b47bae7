-- Issue 15 item 3 (docs/performance.md, "Lean write"): rows trimmed to what replay and display need.
-- A line's explanation sentence is no longer stored when the core renders it back exactly from the
-- line's fields and inputs (core invoice/line-explanation.ts, checked line by line when it is written):
-- null then, and the store's document fills it in. Lines issued before keep their sentence; the
-- document, hence its hash, is the same either way.
alter table invoice_line alter column explanation drop not null;
-- Likewise the rule of a standard line (subscription, CTA, energy, excise, capacity levy) is not stored
-- when it is its kind's standard text (core standardLineRule).
alter table invoice_line alter column rule drop not null;
-- The contract part of a stored case is kept as the canonical JSON text the engine hashed (json, not
-- jsonb: no binary form to build at write, 954 → about 790 bytes per invoice of the demo); it reads
-- back as the same value.
alter table invoice_input alter column contract_part type json;
