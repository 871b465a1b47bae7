/**
 * R2 3.3 — CGV 6.2: the average daily consumption of the customers with the same price option, per
 * register and month, computed from accepted actual reads and stored as a version (the day computed),
 * so a replay uses the averages known when the invoice was issued (docs/reads.md, "Peer averages").
 */
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Database, PeerAverageRow } from "./schema.ts";

/** Months averaged before the version's month (that month included as well). */
export const PEER_MONTHS = 24;

/**
 * kVA bands the averages are also computed for (R2 3.3, « optionally per kVA band »): a 36 kVA home
 * does not consume like a 3 kVA flat. The band of a contract is the one holding its subscribed kVA.
 */
export const KVA_BANDS = [
  { band: "3-6", from: 3, to: 6 },
  { band: "9-12", from: 9, to: 12 },
  { band: "15-18", from: 15, to: 18 },
  { band: "24-36", from: 24, to: 36 },
] as const;

/** The kVA band of a subscribed power ("" when outside every band). */
export function kvaBandOf(kva: number): string {
  return KVA_BANDS.find((b) => kva >= b.from && kva <= b.to)?.band ?? "";
}

const BAND_SQL = sql.raw(
  `case ${KVA_BANDS.map((b) => `when c.subscribed_kva between ${b.from} and ${b.to} then '${b.band}'`).join(" ")} else '' end`,
);

export interface PeerComputation {
  readonly version: string;
  /** Rows stored by this call: 0 when the version already existed. */
  readonly stored: number;
  /** The version was already computed: nothing added, nothing replaced. */
  readonly alreadyComputed: boolean;
}

/**
 * Computes version `version` in one statement: for each contract and register, consecutive accepted
 * actual reads (distributorActual, teleRead; one per day, the tele-read first) received on or before
 * `version` and dated on or before it give a daily rate over [a, b); each interval's kWh are spread over
 * the months it covers pro rata temporis by days; per price option × register × month,
 * kWh per day = Σ kWh falling in the month ÷ Σ contract-days covered in it, rounded half-up to 6
 * decimals — once over every contract of the option (kva_band '') and once per kVA band. Months: the version's month and the 24 before it. An interval whose index goes backwards
 * (a meter change) is left out. Idempotent: a version already stored is left as it is.
 *
 * Cost (issue 15 item 6: it is most of the night's set-up, ~2 M reads at 100,000 contracts): the month
 * shares are first summed per contract, register and month (`per_contract`, fed in contract order by
 * an incremental sort), so the last step counts contracts with `count(*)` over a few hundred hashed
 * groups instead of sorting every share for `count(distinct)`; numeric sums are exact, so every stored
 * value is the same. The text keys are compared byte-wise (`collate "C"`): only their grouping matters,
 * not their order, and a database collation (fr_FR, en_US) makes every comparison of the big sort slow.
 */
export async function computePeerAverages(db: Kysely<Database>, version: string): Promise<PeerComputation> {
  const r = await sql`
    insert into peer_average (version, price_option, register, month, kva_band, kwh_per_day, kwh, contract_days, sample_size)
    with bounds as (
      select (date_trunc('month', ${version}::date::timestamp) - make_interval(months => ${PEER_MONTHS}::int))::date as first_month,
        date_trunc('month', ${version}::date::timestamp)::date as last_month
    ), actual as (
      select distinct on (m.contract_id collate "C", m.register collate "C", m.read_date) m.contract_id collate "C" as contract_id,
        c.price_option collate "C" as price_option, ${BAND_SQL} collate "C" as kva_band, m.register collate "C" as register, m.read_date, m.index_value
      from meter_read m
      join contract c on c.id = m.contract_id
      where m.status = 'accepted' and m.source in ('distributorActual', 'teleRead')
        and m.received_on <= ${version}::date and m.read_date <= ${version}::date
        -- An interval starting up to 13 months before the first month still covers it.
        and m.read_date >= (select first_month from bounds) - interval '13 months'
      order by m.contract_id collate "C", m.register collate "C", m.read_date, m.source desc
    ), intervals as (
      select contract_id, price_option, kva_band, register, lag(read_date) over w as a, read_date as b,
        index_value - lag(index_value) over w as kwh
      from actual
      window w as (partition by contract_id, register order by read_date)
    ), spread as (
      select i.contract_id, i.price_option, i.kva_band, i.register, mo::date as month,
        least(i.b, (mo + interval '1 month')::date) - greatest(i.a, mo::date) as days,
        i.kwh, i.b - i.a as span
      from intervals i,
        generate_series(date_trunc('month', i.a::timestamp), date_trunc('month', (i.b - 1)::timestamp), interval '1 month') as mo
      where i.a is not null and i.kwh >= 0
    ), per_contract as (
      -- One row per contract, register and month (a contract has one option and one band).
      select s.contract_id, s.register, s.month, s.price_option, s.kva_band, sum(s.kwh * s.days / s.span) as kwh, sum(s.days)::int as days
      from spread s, bounds b
      where s.month between b.first_month and b.last_month and s.days > 0
      group by s.contract_id, s.register, s.month, s.price_option, s.kva_band
    )
    select ${version}::date, s.price_option, s.register, s.month, coalesce(s.kva_band, ''),
      round(sum(s.kwh) / sum(s.days), 6), round(sum(s.kwh), 6), sum(s.days), count(*)
    from per_contract s
    where not exists (select 1 from peer_average p where p.version = ${version}::date)
    -- Every contract of the option (band ''), and each kVA band (a contract outside every band only in '').
    group by grouping sets ((s.price_option, s.register, s.month), (s.price_option, s.register, s.month, s.kva_band))
    having grouping(s.kva_band) = 1 or coalesce(s.kva_band, '') <> ''
    on conflict do nothing`.execute(db);
  const stored = Number(r.numAffectedRows ?? 0n);
  if (stored > 0) return { version, stored, alreadyComputed: false };
  const existing = await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst();
  return { version, stored, alreadyComputed: existing !== undefined };
}

/** The latest version computed on or before `asOf`, per price option: every row of it (all kVA bands), by option, register, month. */
export async function loadPeerAverages(db: Kysely<Database>, asOf: string): Promise<PeerAverageRow[]> {
  const r = await sql<PeerAverageRow>`
    select p.* from peer_average p
    join (select price_option, max(version) as version from peer_average where version <= ${asOf}::date group by price_option) v
      on v.price_option = p.price_option and v.version = p.version
    order by p.price_option, p.register, p.month, p.kva_band`.execute(db);
  return r.rows;
}
