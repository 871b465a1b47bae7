-- 0018 — distributor services and compensation (R9, issue 16). Part 1: reference data generated from packages/db/reference-data/0018/*.json by
-- packages/db/src/reference/generate-migration.ts. Do not edit by hand: edit the data files, regenerate.
-- Dates: valid_from included, valid_to excluded. Gaps stay gaps (series 'gap', docs/reference-data.md).

-- (No new series: the reference_value series CHECK is left as it is, so a series another migration
-- added is never dropped by this one.)

-- reference-data/0018/distributor-catalogue.json: R9 distributor services (issue 16): the catalogue items the service rules name that had no row yet, as explicit gaps (never guessed prices). The existing rows and gaps of 0003 stay (activation standard / express / Linky, first activation, long-outage €/kVA; gaps wastedTrip, specialRead, restoration standard / express / same day, power change remote / technician). Source: shared/reference/README.md Gaps 7 and enedis_prestations_and_penalties.csv.
insert into reference_value (series, key, valid_from, valid_to, value, source) values
  ('gap', 'distributorCatalogue/activationExistingSameDay', '2019-01-01', null, '{"series":"distributorCatalogue","key":"activationExistingSameDay","reason":"Enedis catalogue price of mise en service « dans la journée » not found: a 146.84 EUR figure is quoted without a date (https://fournisseur-energies.com/demenagement/mise-en-service-electricite/), so not shipped"}'::jsonb, 'shared/reference/README.md, Gaps 7; enedis_prestations_and_penalties.csv (mise_en_service_existing_express_non_linky notes) (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/suspensionVisit', '2019-01-01', null, '{"series":"distributorCatalogue","key":"suspensionVisit","reason":"Enedis catalogue price of the déplacement pour suspension de la fourniture (unpaid-bill procedure, CGV 9.1) not found"}'::jsonb, 'shared/reference/README.md, Gaps 7 (Enedis catalogue prices not found) (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/powerLimitation', '2019-01-01', null, '{"series":"distributorCatalogue","key":"powerLimitation","reason":"Enedis catalogue price of a power limitation (réduction de puissance, unpaid-bill procedure) not found"}'::jsonb, 'shared/reference/README.md, Gaps 7 (Enedis catalogue prices not found) (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/nonCommunicatingMeterComponent', '2025-08-01', null, '{"series":"distributorCatalogue","key":"nonCommunicatingMeterComponent","reason":"TURPE 7 composante additionnelle pour comptage non communicant: only 6.48 EUR HT per 2 months « plus a surcharge not captured » was found (low-medium, github:Energie-De-Nantes/souscriptions_odoo docs/segments-enedis.md), so the amount is incomplete and not shipped"}'::jsonb, 'shared/reference/README.md, Gaps 7; enedis_prestations_and_penalties.csv (composante_comptage_non_communicant_CACNC) (confidence n/a (gap))'),
  ('gap', 'distributorCatalogue/nonCommunicatingMeterComponent', '2019-01-01', '2025-08-01', '{"series":"distributorCatalogue","key":"nonCommunicatingMeterComponent","reason":"TURPE 6 composante de comptage spécifique à la relève résiduelle: 61.20 EUR/yr quoted (low-medium) without its start date; the relève résiduelle fee of 9.04 EUR HT per 2 months from 2023-01-01 is shipped as residualReadingNonLinky (0003)"}'::jsonb, 'shared/reference/README.md, Gaps 7; enedis_prestations_and_penalties.csv (composante_comptage_releve_residuelle) (confidence n/a (gap))');

-- Part 2 (hand-written): the distributor's service and compensation file (`billing distributor
-- import`, docs/distributor.md) and its charges on the customer account.
--
-- Re-billed services (with VAT at their own rate) and compensation credits (negative, outside VAT)
-- are charges of the account like the R3/R4 ones (0009): billed once on the contract's next invoice
-- through ledger_charge_billing. item_ref 'distributor:<the distributor's reference>'.
alter table ledger_charge drop constraint ledger_charge_kind_check;
alter table ledger_charge add constraint ledger_charge_kind_check
  check (kind in ('latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty', 'distributorService', 'longOutageCredit', 'missedAppointmentCredit'));
alter table ledger_charge drop constraint ledger_charge_check;
alter table ledger_charge add constraint ledger_charge_sign_check
  check ((kind in ('lateRefundPenalty', 'longOutageCredit', 'missedAppointmentCredit')) = (amount < 0));
-- VAT rate of the charge's line, percent: 0 = outside the scope of VAT (indemnities, credits).
alter table ledger_charge add column vat_rate numeric not null default 0 check (vat_rate >= 0);
alter table ledger_charge add constraint ledger_charge_vat_check
  check (vat_rate = 0 or kind = 'distributorService');

alter table invoice_line drop constraint invoice_line_kind_check;
alter table invoice_line add constraint invoice_line_kind_check
  check (kind in ('subscription', 'cta', 'energy', 'excise', 'capacityLevy', 'latePaymentPenalty', 'recoveryIndemnity', 'lateRefundPenalty',
                  'distributorService', 'longOutageCredit', 'missedAppointmentCredit'));

-- Every event of the distributor's file, once per distributor reference (the idempotency key): what
-- it was, what the rules decided (a charge, or nothing and why). Events that could not be decided
-- (a price that is a gap, an unknown delivery point) are not recorded: the import reports them and a
-- later import of the same file decides them.
create table distributor_event (
  reference     text primary key,
  type          text not null check (type in ('service', 'outage', 'appointment')),
  contract_id   text not null references contract (id),
  customer_id   text not null references customer (id),
  -- The day the event counts (service performed, cut started, appointment date).
  event_date    date not null,
  -- The row as imported (parsed), for audit and for refusing the same reference with other content.
  record        jsonb not null,
  outcome       text not null check (outcome in ('charge', 'none')),
  charge_id     bigint null references ledger_charge (id),
  rule          text not null,
  explanation   text not null,
  source_file   text null,
  imported_on   date not null,
  imported_at   timestamptz not null default now(),
  check ((outcome = 'charge') = (charge_id is not null))
);
create index distributor_event_contract on distributor_event (contract_id, event_date);

create trigger distributor_event_immutable before update or delete on distributor_event
  for each row execute function forbid_change_of_account_history();
create trigger distributor_event_no_truncate before truncate on distributor_event
  for each statement execute function forbid_change_of_account_history();
