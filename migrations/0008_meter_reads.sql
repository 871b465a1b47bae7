-- 0008 — meter reads as first-class data (R2, CGV 6.2): every index received is kept as it came, with
-- its reception date and a status (accepted / rejected with the reason); connected-station daily kWh;
-- peer averages per price option, register and month, versioned by the day they were computed.
-- Reads, station days and peer averages are append-only: a correction or a status change is a new
-- row (docs/reads.md).

-- meter_read: every row received -------------------------------------------------------------------

-- A rejected row may lack what an accepted one must have (its delivery point is unknown, its date or
-- value is garbage): those columns become nullable, and a CHECK keeps them required when accepted.
alter table meter_read alter column contract_id drop not null;
alter table meter_read alter column read_date drop not null;
alter table meter_read alter column source drop not null;
alter table meter_read alter column register drop not null;
alter table meter_read alter column index_value drop not null;
alter table meter_read add constraint meter_read_register_check check (register in ('BASE', 'HP', 'HC'));

-- Day the supplier received the read (R2: a self-read counts if received in its window; a run on D
-- only sees reads received on or before D). Rows written before 0008 were known on their read date.
alter table meter_read add column received_on date null;
update meter_read set received_on = read_date;
alter table meter_read alter column received_on set not null;

alter table meter_read add column status text not null default 'accepted' check (status in ('accepted', 'rejected'));
alter table meter_read add column rejection_reason text null;
-- The delivery point as received (null when the row was written for its contract directly: demo seed, older rows).
alter table meter_read add column delivery_point text null;
-- Where it came from: the file as named on the command line, its line number and the line as written.
alter table meter_read add column origin text null;
alter table meter_read add column line_no int null;
alter table meter_read add column raw text null;
-- sha256 of the received fields (delivery point, date, source, register, value as written, trimmed):
-- the same row received again (re-import) adds nothing.
alter table meter_read add column fingerprint text null;

alter table meter_read add constraint meter_read_status_reason check ((status = 'rejected') = (rejection_reason is not null));
alter table meter_read add constraint meter_read_accepted_complete check (
  status = 'rejected'
  or (contract_id is not null and read_date is not null and source is not null and register is not null and index_value is not null)
);

-- One accepted index per (contract, date, register, source); a second one with another value is kept as rejected.
alter table meter_read drop constraint meter_read_contract_id_read_date_register_source_key;
create unique index meter_read_accepted_key on meter_read (contract_id, read_date, register, source) where status = 'accepted';
create unique index meter_read_accepted_fingerprint on meter_read (fingerprint) where status = 'accepted' and fingerprint is not null;
-- A rejected row received again adds nothing (whatever the reason now); once its cause is fixed (the
-- contract now exists) the same row received again is accepted as a new row, the rejected one staying.
create unique index meter_read_rejected_fingerprint on meter_read (fingerprint) where status = 'rejected';
create index meter_read_delivery_point on meter_read (delivery_point) where delivery_point is not null;
-- The import finds contracts by delivery point.
create index contract_delivery_point on contract (delivery_point);
-- Peer averages: accepted actual reads by date.
create index meter_read_actual_by_date on meter_read (read_date) where status = 'accepted' and source in ('distributorActual', 'teleRead');

-- Rows written without a reception date (the seed, older callers) were known on their read date.
create function meter_read_default_received_on() returns trigger
language plpgsql as $$
begin
  new.received_on := new.read_date;
  return new;
end;
$$;
create trigger meter_read_received_on before insert on meter_read
  for each row when (new.received_on is null) execute function meter_read_default_received_on();

-- station_consumption: the supplier's connected station, kWh per day and register -----------------

create table station_consumption (
  id                bigserial primary key,
  contract_id       text null references contract (id),
  delivery_point    text null,
  -- The day measured (its kWh consumed from 00:00 to 24:00).
  day               date null,
  register          text null check (register in ('BASE', 'HP', 'HC')),
  kwh               numeric null check (kwh >= 0),
  received_on       date not null,
  status            text not null default 'accepted' check (status in ('accepted', 'rejected')),
  rejection_reason  text null,
  origin            text null,
  line_no           int null,
  raw               text null,
  fingerprint       text null,
  received_at       timestamptz not null default now(),
  check ((status = 'rejected') = (rejection_reason is not null)),
  check (status = 'rejected' or (contract_id is not null and day is not null and register is not null and kwh is not null))
);
create unique index station_consumption_accepted_key on station_consumption (contract_id, day, register) where status = 'accepted';
create unique index station_consumption_accepted_fingerprint on station_consumption (fingerprint) where status = 'accepted' and fingerprint is not null;
create unique index station_consumption_rejected_fingerprint on station_consumption (fingerprint) where status = 'rejected';
create index station_consumption_delivery_point on station_consumption (delivery_point) where delivery_point is not null;

-- peer_average: R2 3.3, average daily kWh of the customers with the same price option ---------------

create table peer_average (
  -- The day the averages were computed: a run on D uses the latest version on or before D.
  version        date not null,
  price_option   text not null check (price_option in ('BASE', 'HPHC')),
  register       text not null check (register in ('BASE', 'HP', 'HC')),
  -- First day of the month averaged.
  month          date not null check (extract(day from month) = 1),
  -- '' = every subscribed power (bands by kVA are not computed yet).
  kva_band       text not null default '',
  -- Σ kWh falling in the month ÷ Σ contract-days covered in the month, rounded half-up to 6 decimals.
  kwh_per_day    numeric not null check (kwh_per_day >= 0),
  kwh            numeric not null,
  contract_days  int not null check (contract_days > 0),
  -- Contracts the average was computed from.
  sample_size    int not null check (sample_size > 0),
  computed_at    timestamptz not null default now(),
  primary key (version, price_option, register, month, kva_band)
);

-- Append-only: what was received or computed is never changed or removed -------------------------

create function forbid_change_of_received() returns trigger
language plpgsql as $$
begin
  raise exception '% is append-only: what was received or computed stays on record (a correction is a new row)', TG_TABLE_NAME
    using errcode = 'restrict_violation';
end;
$$;

create trigger meter_read_append_only before update or delete on meter_read
  for each row execute function forbid_change_of_received();
create trigger meter_read_no_truncate before truncate on meter_read
  for each statement execute function forbid_change_of_received();
create trigger station_consumption_append_only before update or delete on station_consumption
  for each row execute function forbid_change_of_received();
create trigger station_consumption_no_truncate before truncate on station_consumption
  for each statement execute function forbid_change_of_received();
create trigger peer_average_append_only before update or delete on peer_average
  for each row execute function forbid_change_of_received();
create trigger peer_average_no_truncate before truncate on peer_average
  for each statement execute function forbid_change_of_received();
