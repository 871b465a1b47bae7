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

/** Contracts whose reads one statement of {@link computePeerAverages} reads (its sorts stay in memory). */
export const PEER_RANGE_CONTRACTS = 100_000;

/**
 * Computes version `version`: for each contract and register, consecutive accepted actual reads
 * (distributorActual, teleRead; one per day, the tele-read first) received on or before `version` and
 * dated on or before it give a daily rate over [a, b); each interval's kWh are spread over the months it
 * covers pro rata temporis by days; per price option × register × month, kWh per day = Σ kWh falling in
 * the month ÷ Σ contract-days covered in it, rounded half-up to 6 decimals — once over every contract of
 * the option (kva_band '') and once per kVA band. Months: the version's month and the 24 before it. An
 * interval whose index goes backwards (a meter change) is left out. Idempotent: a version already stored
 * is left as it is.
 *
 * In one transaction, contracts by id ranges of {@link PEER_RANGE_CONTRACTS}: each range's sums (kWh,
 * contract-days, contracts) per option × register × month × band go to a temporary table, and one last
 * statement adds them up per option and per band and rounds. Every contract lies in one range and every
 * sum is of exact numerics, so the rows are those of a single statement over every read (which the night's
 * set-up was until 2026-12-03: its sorts outgrew memory, 30 s at 300,000 contracts against 7 s at 100,000 —
 * issue 15, flat cost); each range's sorts stay in memory and the cost grows with the reads.
 */
export async function computePeerAverages(db: Kysely<Database>, version: string, opts: { readonly rangeContracts?: number } = {}): Promise<PeerComputation> {
  const rangeContracts = opts.rangeContracts ?? PEER_RANGE_CONTRACTS;
  if (!Number.isInteger(rangeContracts) || rangeContracts < 1) throw new Error(`computePeerAverages: rangeContracts must be a whole number ≥ 1, got ${rangeContracts}`);
  const already = await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst();
  if (already !== undefined) return { version, stored: 0, alreadyComputed: true };
  const stored = await db.transaction().execute(async (trx) => {
    await sql`create temporary table peer_partial (price_option text collate "C", register text collate "C", month date, kva_band text collate "C",
      kwh numeric, days bigint, contracts bigint) on commit drop`.execute(trx);
    let after: string | null = null;
    for (;;) {
      const bound: { rows: { to_id: string | null }[] } = await sql<{ to_id: string | null }>`select max(id) as to_id from (select id from contract
        where ${after === null ? sql`true` : sql`id > ${after}`} order by id limit ${rangeContracts}) r`.execute(trx);
      const toId: string | null = bound.rows[0]?.to_id ?? null;
      if (toId === null) break;
      await insertRangeSums(trx, version, after, toId);
      after = toId;
    }
    const r = await sql`
      insert into peer_average (version, price_option, register, month, kva_band, kwh_per_day, kwh, contract_days, sample_size)
      select ${version}::date, s.price_option, s.register, s.month, coalesce(s.kva_band, ''),
        round(sum(s.kwh) / sum(s.days), 6), round(sum(s.kwh), 6), sum(s.days), sum(s.contracts)
      from peer_partial s
      -- Every contract of the option (band ''), and each kVA band (a contract outside every band only in '').
      group by grouping sets ((s.price_option, s.register, s.month), (s.price_option, s.register, s.month, s.kva_band))
      having grouping(s.kva_band) = 1 or coalesce(s.kva_band, '') <> ''
      on conflict do nothing`.execute(trx);
    return Number(r.numAffectedRows ?? 0n);
  });
  if (stored > 0) return { version, stored, alreadyComputed: false };
  const existing = await db.selectFrom("peer_average").select("version").where("version", "=", version).limit(1).executeTakeFirst();
  return { version, stored, alreadyComputed: existing !== undefined };
}

/** One range of contracts (after, to]: its sums per option × register × month × band, into peer_partial. */
async function insertRangeSums(trx: Kysely<Database>, version: string, after: string | null, toId: string): Promise<void> {
  const range = after === null ? sql`m.contract_id <= ${toId} and c.id <= ${toId}` : sql`m.contract_id > ${after} and m.contract_id <= ${toId} and c.id > ${after} and c.id <= ${toId}`;
  await sql`
    insert into peer_partial (price_option, register, month, kva_band, kwh, days, contracts)
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
        and ${range}
        -- An interval starting up to 13 months before the first month still covers it. A constant the
        -- planner sees (not a subquery): the range is then read on meter_read_accepted_key by contract,
        -- not every actual read of the period through the date index once per range.
        and m.read_date >= (date_trunc('month', ${version}::date::timestamp) - make_interval(months => ${PEER_MONTHS + 13}::int))::date
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
    select s.price_option, s.register, s.month, s.kva_band, sum(s.kwh), sum(s.days), count(*)
    from per_contract s
    group by s.price_option, s.register, s.month, s.kva_band`.execute(trx);
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
