-- 0006 — R7 transition (CGV 5.4): from 2026-11-01 the capacity obligation is replaced by a levy,
-- billed as its own line per register and energy sub-period, like the excise. The line kind joins the
-- invoice_line check; its rates are reference data (series 'capacityLevy', migration 0007).

alter table invoice_line drop constraint invoice_line_kind_check;
alter table invoice_line add constraint invoice_line_kind_check
  check (kind in ('subscription', 'cta', 'energy', 'excise', 'capacityLevy'));
