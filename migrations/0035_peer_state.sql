-- R2 3.3 — CGV 6.2 (docs/reads.md, "Peer averages", "Computed incrementally"): what the latest version
-- computed through the state below summed, so that the next night of the same month adds only what changed
-- (packages/db/src/peer-state.repository.ts). Derived data, rebuilt whole by a full computation (first
-- night, a new month, a state that does not give its version's stored rows); never read by a replay, which
-- reads the stored versions (peer_average) only.

-- The version the state stands at (one row).
create table peer_state (
  singleton  boolean primary key default true check (singleton),
  version    date not null
);

-- Per contract and register: the last accepted actual read of the version's set (the one kept on its day,
-- the tele-read first), the price option and kVA band the contract was counted under, and the month of the
-- last day of its last interval kept (index not going backwards): a later interval counts the contract again
-- in a month only after that one.
create table peer_state_read (
  contract_id    text not null,
  register       text not null,
  price_option   text not null,
  kva_band       text not null,
  last_date      date not null,
  last_index     numeric not null,
  counted_month  date null,
  primary key (contract_id, register)
);

-- Per price option, register, month and kVA band ('' = outside every band): the exact sums the version's
-- averages divide — Σ kWh falling in the month (numeric, never rounded), Σ contract-days, contracts.
create table peer_state_sum (
  price_option  text not null,
  register      text not null,
  month         date not null,
  kva_band      text not null,
  kwh           numeric not null,
  days          bigint not null,
  contracts     bigint not null,
  primary key (price_option, register, month, kva_band)
);

-- Per group as above: how many month shares (kWh × days ÷ span, one per interval and month) have each
-- numeric scale. PostgreSQL's sum of numerics has the largest scale of its terms, and the division
-- kwh ÷ days is computed at a precision that depends on it: the stored rows divide Σ kWh at the scale the
-- full computation's sum has, the largest with a share left (a contract taken out may have held it).
create table peer_state_scale (
  price_option  text not null,
  register      text not null,
  month         date not null,
  kva_band      text not null,
  scale         int not null,
  terms         bigint not null,
  primary key (price_option, register, month, kva_band, scale)
);

-- Accepted actual reads not in the state's version: inserted since (whatever their dates: an import may
-- commit after the night with a reception day already passed) or dated or received after it. Filled by
-- the trigger below on every insert into meter_read, emptied of what a version takes in.
create table peer_read_pending (
  id           bigint primary key,
  contract_id  text not null,
  register     text not null,
  read_date    date not null,
  source       text not null,
  index_value  numeric not null,
  received_on  date not null
);
create index peer_read_pending_read_date on peer_read_pending (read_date);

create function peer_read_arrived() returns trigger
language plpgsql as $$
begin
  insert into peer_read_pending (id, contract_id, register, read_date, source, index_value, received_on)
  select id, contract_id, register, read_date, source, index_value, received_on from arrived
  where status = 'accepted' and source in ('distributorActual', 'teleRead');
  return null;
end;
$$;

create trigger meter_read_peer_pending after insert on meter_read
  referencing new table as arrived
  for each statement execute function peer_read_arrived();
