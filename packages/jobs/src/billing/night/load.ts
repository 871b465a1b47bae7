/**
 * Step 2, **load**: what the run's cases share, loaded once per run (`loadNight`: reference data,
 * offers, the R2 peer averages known on the run date), and a chunk's case data in one query per table
 * (`loadChunk`: customers, reads, plans, billed indexes, charges, events, review state). No
 * computation here: rows in, rows grouped by contract out (case-builder.ts turns them into cases).
 */
import type { Case, PeerAverage, PlanState } from "@billing/core";
import { dates } from "@billing/core";
import {
  type BilledIndexRow,
  type ChargeRow,
  type ContractEventRow,
  type ContractRow,
  type CaseCustomerRow,
  type Database,
  type MeterReadRow,
  type OfferWithPrices,
  type StationDayRow,
  kvaBandOf,
  loadBilledIndexes,
  loadContractEvents,
  loadCustomers,
  loadHeldContracts,
  loadLastActualReadsBefore,
  loadLastIssueDates,
  loadOffers,
  loadPeerAverages,
  loadPendingCharges,
  loadPlanStates,
  loadReadsFor,
  loadSmoothedReadsFor,
  loadRecentInvoiceTotals,
  loadReference,
  loadStationDays,
} from "@billing/db";
import type { Kysely } from "kysely";
import { lastBillingDateOf, offerFromRows, peerAveragesFromRows, referenceFromRows } from "../case-builder.ts";
import type { ProcessMemo, SharedNight } from "./process-memo.ts";
import type { EstimationSettings, ReviewBounds } from "./types.ts";

/** Days of reads loaded before the previous billing date, so interpolation always has a bracketing read. */
export const READ_WINDOW_DAYS = 70;
/**
 * Smoothed contracts: reads back to 12 months of history before a plan that may be a year old. A contract
 * whose true-up waits (ruleset `deferredTrueUp`) needs more: see {@link pendingTrueUpReads}.
 */
export const SMOOTHED_READ_WINDOW_DAYS = 2 * 366 + 70;
/**
 * R2 3.3: a meter that is not communicating may be estimated from its history over the same dates one
 * year earlier: its reads go back a year before the earliest energy period (plus the last distributor
 * read before that, loaded apart). A communicating meter is billed on its tele-reads (R2 1): the short
 * window, and the long one only when its invoice has to be estimated (a late tele-read).
 */
export const HISTORY_READ_WINDOW_DAYS = 31 + 366 + 31;
/** R2: station days are loaded back to the last billing date or last distributor read, at most this far. */
export const STATION_WINDOW_DAYS = 13 * 31;

/** What every case of the run shares (loaded once per run, parsed once per offer). */
export interface NightData {
  readonly date: string;
  readonly reference: Case["reference"];
  /** The offer's parsed prices; throws what parsing it threw (then every contract of the offer fails with it). */
  readonly offerFor: (offerId: string) => Case["offer"];
  /** R2 3.3: the peer averages known on the run date, by price option and subscribed power (its kVA band). */
  readonly peers: NightPeers;
  readonly estimation: EstimationSettings | undefined;
  /** The parsed reference and offers (kept by a process memo while the rows are the same, process-memo.ts). */
  readonly shared: SharedNight;
}

/**
 * The run's shared data: reference series, offers, and the peer averages known on `date` (latest version
 * on or before it). With a process memo, the reference and offers parsed by an earlier run of the process
 * are reused when their rows are the same, to the byte (process-memo.ts).
 */
export async function loadNight(db: Kysely<Database>, date: string, estimation: EstimationSettings | undefined, memo?: ProcessMemo): Promise<NightData> {
  const [referenceRows, offerRows, peerRows] = await Promise.all([loadReference(db), loadOffers(db), loadPeerAverages(db, date)]);
  const build = (fingerprint: string): SharedNight => ({ fingerprint, reference: referenceFromRows(referenceRows), offerFor: offerParser(offerRows) });
  const shared = memo === undefined ? build("") : memo.night(JSON.stringify([referenceRows, offerRows]), build);
  return { date, reference: shared.reference, offerFor: shared.offerFor, peers: new NightPeers(peerRows), estimation, shared };
}

/**
 * R2 3.3: a night's peer averages, grouped by price option and kVA band the first time a contract asks.
 * A class, not a closure made per run: a closure per run is a new call target at every run, and V8 dropped
 * the code of `computeContract` optimised on the warm-up's (docs/performance.md, "the thirteenth pass").
 */
export class NightPeers {
  readonly #byKey = new Map<string, PeerAverage[]>();

  constructor(private readonly rows: Parameters<typeof peerAveragesFromRows>[0]) {}

  /** The peer averages of `option` for a subscribed power of `kva` (its band). */
  of(option: string, kva: number): PeerAverage[] {
    const band = kvaBandOf(kva);
    const key = `${option}|${band}`;
    let list = this.#byKey.get(key);
    if (list === undefined) this.#byKey.set(key, (list = peerAveragesFromRows(this.rows, option, band)));
    return list;
  }
}

/** Each offer's prices parsed the first time a contract asks for them; a parse error is kept and thrown again. */
function offerParser(offerRows: readonly OfferWithPrices[]): (offerId: string) => Case["offer"] {
  const offers = new Map(offerRows.map((o) => [o.id, o]));
  const parsedOffers = new Map<string, Case["offer"] | Error>();
  return (id: string): Case["offer"] => {
    let o = parsedOffers.get(id);
    if (o === undefined) {
      const row = offers.get(id);
      try {
        o = row ? offerFromRows(row) : new Error(`offer ${id} not found`);
      } catch (e) {
        o = e as Error;
      }
      parsedOffers.set(id, o);
    }
    if (o instanceof Error) throw o;
    return o;
  };
}

/** R2: a monthly contract whose meter is not communicating may be estimated (self-read, station, history, peers). */
export const estimated = (k: ContractRow): boolean => k.billing_mode === "monthly" && !k.communicating_meter;

export function groupByContract<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Reads and station days of some contracts, by contract id. */
export interface ReadsByContract {
  readonly reads: Map<string, MeterReadRow[]>;
  readonly station: Map<string, StationDayRow[]>;
}

/** A chunk's case data, by contract (or customer) id. */
export interface ChunkData {
  readonly contracts: readonly ContractRow[];
  /** The earliest next billing date of the chunk (or the run date): where its read windows start. */
  readonly earliest: string;
  readonly customers: Map<string, CaseCustomerRow>;
  readonly reads: ReadsByContract;
  readonly plans: Map<string, PlanState>;
  readonly billed: Map<string, BilledIndexRow[]>;
  readonly charges: Map<string, ChargeRow[]>;
  readonly events: Map<string, ContractEventRow[]>;
  readonly lastIssued: Map<string, string>;
  /** Contracts with documents held for review (issue 13 item 8), with the held batch's id. */
  readonly heldContracts: Map<string, number>;
  readonly recentTotals: Map<string, string[]>;
}

/**
 * R2: what estimating `rows` needs — reads from a year before the earliest energy period (history),
 * the last distributor read before that, and station days since the last billing date (or the last
 * distributor read if older, at most STATION_WINDOW_DAYS back) — in one query per table.
 */
export async function loadEstimationData(db: Kysely<Database>, date: string, rows: readonly ContractRow[], earliest: string): Promise<{ reads: MeterReadRow[]; station: StationDayRow[] }> {
  if (rows.length === 0) return { reads: [], station: [] };
  const ids = rows.map((k) => k.id);
  const historyFrom = dates.addDays(earliest, -HISTORY_READ_WINDOW_DAYS);
  const [history, anchors, station] = await Promise.all([
    loadReadsFor(db, ids, historyFrom, date, { receivedBy: date }),
    loadLastActualReadsBefore(db, ids, historyFrom, date),
    loadStationDays(db, rows.map((k) => ({ id: k.id, since: lastBillingDateOf(k) ?? k.start_date })), date, date, dates.addDays(date, -STATION_WINDOW_DAYS)),
  ]);
  return { reads: [...anchors, ...history], station };
}

/**
 * R1 · CGV 6.1, 6.2 (ruleset `deferredTrueUp`): the reads a waiting true-up measures its year on, beyond
 * the smoothed window. Such a contract is due every night, so the window — SMOOTHED_READ_WINDOW_DAYS before
 * the chunk's earliest next billing date — moves on while the year it waits to settle stays: 11 months
 * after the anniversary the window starts about 100 days before that year's start, and the distributor's
 * read before it (a meter read once a year) falls outside; past the next anniversary the year's start
 * itself does. For the contracts of `plans` with a `pendingTrueUp`: their reads from the earliest waiting
 * year's start to the window's start `from` (excluded), and each register's last distributor read before
 * that start (the index of the year's start is interpolated from it). Nothing for the others: one indexed
 * query or two, only when a contract waits.
 */
export async function pendingTrueUpReads(
  db: Kysely<Database>,
  plans: ReadonlyMap<string, PlanState>,
  from: string,
  date: string,
): Promise<MeterReadRow[]> {
  const ids: string[] = [];
  let start = from;
  for (const [id, p] of plans) {
    const year = p.pendingTrueUp;
    if (year === undefined) continue;
    ids.push(id);
    if (year.start < start) start = year.start;
  }
  if (ids.length === 0) return [];
  const [anchors, older] = await Promise.all([
    loadLastActualReadsBefore(db, ids, start, date),
    start < from ? loadReadsFor(db, ids, start, dates.addDays(from, -1), { receivedBy: date }) : [],
  ]);
  return [...anchors, ...older];
}

/** `loadEstimationData` grouped by contract. */
export async function loadEstimationReads(db: Kysely<Database>, date: string, rows: readonly ContractRow[], earliest: string): Promise<ReadsByContract> {
  const more = await loadEstimationData(db, date, rows, earliest);
  return { reads: groupByContract<MeterReadRow>(more.reads, (r) => r.contract_id), station: groupByContract(more.station, (r) => r.contract_id) };
}

/**
 * A chunk's case data. Smoothed contracts need their plan and a longer history of reads, monthly meters
 * that may be estimated (R2) a year of history and their station days: loaded only when the chunk has
 * some (a chunk of communicating monthly meters costs what it did).
 */
export async function loadChunk(db: Kysely<Database>, date: string, chunk: readonly ContractRow[], review: ReviewBounds | undefined): Promise<ChunkData> {
  const received = { receivedBy: date };
  // The chunk's lists in one pass, each array a literal grown by push — not filter/map: V8's optimised
  // filter/map make holey arrays where its builtins make packed ones, so loadChunk (called once a chunk,
  // optimised late in the warm-up) was dropped at the night's first chunk and compiled again there
  // (docs/performance.md, "the thirteenth pass").
  const ids: string[] = [];
  const smoothedIds: string[] = []; // need a plan and a longer history of reads
  const correctedIds: string[] = []; // smoothed and corrected once (billing recalc): a replacing true-up's carried difference
  const estimatedRows: ContractRow[] = []; // R2: may be estimated (a year of history, station days)
  const shortIds: string[] = []; // the others: the short read window
  const customerIds = new Set<string>();
  const lastBilling: { id: string; billingDate: string }[] = [];
  let earliest = date;
  for (const k of chunk) {
    ids.push(k.id);
    customerIds.add(k.customer_id);
    if (k.next_billing_date! < earliest) earliest = k.next_billing_date!;
    if (k.billing_mode === "smoothed") {
      smoothedIds.push(k.id);
      if (k.last_correction_id !== null) correctedIds.push(k.id);
    }
    else if (estimated(k)) estimatedRows.push(k);
    else shortIds.push(k.id);
    const billingDate = lastBillingDateOf(k);
    if (billingDate !== null) lastBilling.push({ id: k.id, billingDate });
  }
  const smoothedFrom = dates.addDays(earliest, -SMOOTHED_READ_WINDOW_DAYS);
  const [customers, reads, smoothedReads, forEstimation, plans, billed, charges, events, heldContracts, recentTotals] = await Promise.all([
    loadCustomers(db, [...customerIds]),
    loadReadsFor(db, shortIds, dates.addDays(earliest, -31 - READ_WINDOW_DAYS), date, received),
    smoothedIds.length === 0 ? [] : loadSmoothedReadsFor(db, smoothedIds, smoothedFrom, date, { ...received, corrected: correctedIds }),
    loadEstimationData(db, date, estimatedRows, earliest),
    smoothedIds.length === 0 ? new Map<string, PlanState>() : loadPlanStates(db, smoothedIds, { corrected: correctedIds }),
    loadBilledIndexes(db, lastBilling),
    // R3/R4 charges: on a monthly contract's next invoice, on a smoothed one's next true-up.
    loadPendingCharges(db, ids, date),
    // R8: contract events (switches, terminations, power changes…) of the chunk, one indexed query.
    loadContractEvents(db, ids),
    // Issue 13 item 8: contracts awaiting a review decision are left alone; the others' recent totals.
    loadHeldContracts(db, ids),
    review ? loadRecentInvoiceTotals(db, ids, review.recentInvoices) : new Map<string, string[]>(),
  ]);
  // R1/R8: the last invoice's issue date, only for contracts with events (what it knew of them); R1 · CGV 6.1:
  // the reads of a waiting true-up's year before the smoothed window, only for contracts whose true-up waits.
  const [lastIssued, waitingReads] = await Promise.all([
    events.size === 0 ? new Map<string, string>() : loadLastIssueDates(db, [...events.keys()]),
    pendingTrueUpReads(db, plans, smoothedFrom, date),
  ]);
  return {
    contracts: chunk,
    earliest,
    customers: new Map(customers.map((c) => [c.id, c])),
    reads: {
      reads: groupByContract<MeterReadRow>([...reads, ...smoothedReads, ...waitingReads, ...forEstimation.reads], (r) => r.contract_id),
      station: groupByContract(forEstimation.station, (r) => r.contract_id),
    },
    plans,
    billed: groupByContract(billed, (r) => r.contractId),
    charges,
    events,
    lastIssued,
    heldContracts,
    recentTotals,
  };
}
