-- 0007 — reference data generated from packages/db/reference-data/0007/*.json by
-- packages/db/src/reference/generate-migration.ts. Do not edit by hand: edit the data files, regenerate.
-- Dates: valid_from included, valid_to excluded. Gaps stay gaps (series 'gap', docs/reference-data.md).

alter table reference_value drop constraint if exists reference_value_series_check;
alter table reference_value add constraint reference_value_series_check check (series in ('networkTariff', 'networkBandMapping', 'excise', 'cta', 'vat', 'capacity', 'capacityLevy', 'legalInterestRate', 'distributorCatalogue', 'gap'));

-- reference-data/0007/capacity-levy.json: R7 transition: the capacity levy (taxe de répartition des coûts du mécanisme de capacité, CIBS L.322-5) replaces the capacity obligation from 2026-11-01; its rate and base were not found, so it is an explicit gap: any energy from 2026-11-01 fails until the rate is added as data. The capacity gap from 2026-11-01 moves to the levy (the engine reads no capacity component from that day).
delete from reference_value where series = 'gap' and key = 'capacity' and valid_from = '2026-11-01';
insert into reference_value (series, key, valid_from, valid_to, value, source) values
  ('gap', 'capacityLevy', '2026-11-01', null, '{"series":"capacityLevy","key":"","reason":"the capacity obligation ended on 2026-10-31 (R7); the levy that replaces it (taxe de répartition des coûts du mécanisme de capacité, CIBS L.322-5, décret 2025-1441) has no published rate or base: add its rate as data (docs/reference-data.md)"}'::jsonb, 'shared/reference/README.md, Gaps 5; capacity_mechanism.csv reform rows (décret 2025-1441; CIBS L.322-5 created by LF 2025 art. 19) (confidence n/a (gap))');
