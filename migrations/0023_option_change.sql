-- 0023 — price option change (R8 · CGV 4, issue 14). Part 1: reference data generated from packages/db/reference-data/0023/*.json by
-- packages/db/src/reference/generate-migration.ts. Do not edit by hand: edit the data files, regenerate.
-- Dates: valid_from included, valid_to excluded. Gaps stay gaps (series 'gap', docs/reference-data.md).

-- (No new series: the reference_value series CHECK is left as it is, so a series another migration
-- added is never dropped by this one.)


-- reference-data/0023/distributor-catalogue.json: R8 · CGV 4 price option change (issue 14): the distributor's catalogue price of a change of price option / tariff formula was not collected (shared/reference/README.md, Gaps 7): explicit gaps, so the fee is given from the distributor's invoice (--fee-ht).
insert into reference_value (series, key, valid_from, valid_to, value, source) values
  ('gap', 'distributorCatalogue/optionChangeRemote', '2019-01-01', null, '{"series":"distributorCatalogue","key":"optionChangeRemote","reason":"Enedis catalogue price of a change of price option / tariff formula on a communicating Linky (remote) not collected"}'::jsonb, 'shared/reference/README.md, Gaps 7 (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/optionChangeTechnician', '2019-01-01', null, '{"series":"distributorCatalogue","key":"optionChangeTechnician","reason":"Enedis catalogue price of a change of price option / tariff formula with a technician not collected"}'::jsonb, 'shared/reference/README.md, Gaps 7 (confidence n/a (gap))');

-- Part 2 (hand-written): a price option change (BASE ↔ HPHC) is a contract event; details hold the new
-- option, the tariff formula that goes with it, the distributor's fee and its source (docs/contract-life.md).
alter table contract_event drop constraint contract_event_kind_check;
alter table contract_event add constraint contract_event_kind_check
  check (kind in ('supplierSwitch', 'termination', 'moveOut', 'moveIn', 'powerChange', 'optionChange', 'withdrawal'));
