-- R8 (CGV 4): a price option change (BASE ↔ HPHC) is a contract event; details hold the new option, the
-- tariff formula that goes with it, the distributor's fee and its source (docs/contract-life.md).
alter table contract_event drop constraint contract_event_kind_check;
alter table contract_event add constraint contract_event_kind_check
  check (kind in ('supplierSwitch', 'termination', 'moveOut', 'moveIn', 'powerChange', 'optionChange', 'withdrawal'));

-- R9: the distributor's catalogue price of a price option change was not collected
-- (shared/reference/README.md, Gaps 7): explicit gaps, so the fee is given from the distributor's invoice.
insert into reference_value (series, key, valid_from, valid_to, value, source) values
  ('gap', 'distributorCatalogue/optionChangeRemote', '2019-01-01', null, '{"series":"distributorCatalogue","key":"optionChangeRemote","reason":"Enedis catalogue price of a change of price option / tariff formula on a communicating Linky (remote) not collected"}'::jsonb, 'shared/reference/README.md, Gaps 7 (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/optionChangeTechnician', '2019-01-01', null, '{"series":"distributorCatalogue","key":"optionChangeTechnician","reason":"Enedis catalogue price of a change of price option / tariff formula with a technician not collected"}'::jsonb, 'shared/reference/README.md, Gaps 7 (confidence n/a (gap))');
