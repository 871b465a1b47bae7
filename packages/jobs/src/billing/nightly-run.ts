/**
 * The nightly billing run (DESIGN job 1): bill every contract (monthly or smoothed) whose next billing date is on
 * or before the run date. Contracts are streamed in chunks by id; each chunk is computed in memory
 * by the pure core, then written in one transaction — invoices, lines, inputs, the contracts' next
 * billing dates and their outcomes — so a crash never leaves a contract half-billed, and a rerun
 * finds nothing due (idempotent). The database also refuses a second document for the same
 * (contract, kind, billing date). One bad contract is recorded as failed with its reason and never
 * stops the run: if a chunk's transaction fails, its contracts are retried one by one.
 */
import {
  type Case,
  type EstimationConfig,
  type InstalmentNotice,
  type InstalmentPlan,
  type Invoice,
  type PeerAverage,
  type PlanReadjustment,
  type PendingCharge,
  type PlanState,
  dueInvoices,
  chargesInvoice,
  reviewReasons,
  dueSmoothedDocuments,
  ENGINE_VERSION,
  rulesetFor,
  priceOptionAt,
} from "@billing/core";
import {
  type BilledIndexRow,
  type ContractOutcome,
  type StationDayRow,
  kvaBandOf,
  loadBilledIndexes,
  loadLastActualReadsBefore,
  loadPeerAverages,
  loadStationDays,
  type ContractRow,
  type ContractEventRow,
  loadContractEvents,
  loadLastIssueDates,
  type CustomerRow,
  type MeterReadRow,
  type NewInvoice,
  type Store,
  finishRun,
  type SmoothedDocuments,
  issueInvoices,
  issueSmoothedDocuments,
  loadOffers,
  loadPendingCharges,
  loadEndedContractsWithPendingCharges,
  recordChargeBillings,
  type IssuedInvoice,
  loadPlanStates,
  loadCustomers,
  loadReadsFor,
  loadReference,
  recordOutcomes,
  setNextBillingDates,
  startRun,
  streamDueContracts,
  switchToMonthly,
  insertHeldInvoices,
  loadHeldContracts,
  loadRecentInvoiceTotals,
} from "@billing/db";
import {
  buildCase,
  lastBillingDateOf,
  lastIndexesFromRows,
  offerFromRows,
  peerAveragesFromRows,
  referenceFromRows,
  stationDaysFromRows,
} from "./case-builder.ts";
import { InputHasher } from "./stored-input.ts";
import { pendingChargeOf } from "./payments.ts";
import { dates } from "@billing/core";

export interface RunOptions {
  /** The run's "as of" date: contracts due on or before it are billed (never the wall clock). */
  readonly date: string;
  /** Contracts per chunk and transaction (default: 1000). */
  readonly chunkSize?: number;
  /** Contract id range for one worker of a split run: after `afterId` (exclusive) up to `toId` (inclusive). */
  readonly afterId?: string | undefined;
  readonly toId?: string | undefined;
  /**
   * R3/R4/R9 after R8: issue the charges invoices of ended contracts (core invoice/charges-invoice.ts).
   * Default: on a whole run (no id range) only; a split run's ranges leave them to the run, which
   * issues them once its ranges are done (`chargesInvoices: "only"`: that step alone, no due contract).
   */
  readonly chargesInvoices?: boolean | "only";
  /** Existing run id when this process is one worker of a run opened elsewhere (default: open a new run). */
  readonly runId?: number;
  /**
   * Called after every chunk is written, for a progress bar or a log line; awaited when it returns a
   * promise (so a test can slow a range down deterministically, e.g. to kill its worker mid-range).
   */
  readonly onProgress?: (p: RunProgress) => void | Promise<void>;
  /** R2 settings of the supplier: self-read window and coherence factors (default: the core's defaults). */
  readonly estimation?: EstimationSettings | undefined;
  /**
   * Bill with the rules of an earlier engine version (core ruleset.ts), recorded as that version on the
   * run and its documents — to reproduce what an older release issued, in tests or an incident
   * analysis (default: this engine's, ENGINE_VERSION).
   */
  readonly engineVersion?: string;
  /**
   * Safety bounds before issuing (issue 13 item 8): an invoice beyond them is held for review, its
   * contract left alone until a person decides (default: none — no invoice is held; `billing run`
   * passes the configuration's, unless --no-review).
   */
  readonly review?: ReviewBounds | undefined;
}

/** Safety bounds before issuing: the configuration's `review` section (docs/configuration.md). */
export interface ReviewBounds {
  readonly enabled: boolean;
  readonly maxCreditTtc: string;
  readonly maxFactor: string;
  readonly recentInvoices: number;
  /** Fewer recent invoices than this: no ratio check (default 2). */
  readonly minHistory?: number | undefined;
}

/** What a held contract's release writes, as the run would have written it. */
export interface HeldDocuments {
  readonly invoices: readonly NewInvoice[];
  readonly smoothed: SmoothedDocuments;
  readonly next: string | null;
  readonly switchedToMonthly: boolean;
  readonly lines: number;
}

/** A contract the run held for review (issue 13 item 8). */
export interface RunHold {
  readonly contractId: string;
  readonly totalTtc: string;
  readonly reason: string;
}

/** R2 settings a supplier chooses (case `estimation` without its data). */
export type EstimationSettings = Omit<EstimationConfig, "peerAverages">;

export interface RunProgress {
  readonly contractsDone: number;
  readonly billed: number;
  readonly failed: number;
  /** Invoices issued, monthly and true-up (trueUps counts the latter again). */
  readonly invoices: number;
  readonly lines: number;
  /** Smoothed billing (CGV 6.1): true-up invoices, instalment plans, instalment notices and readjustment checks issued. */
  readonly trueUps: number;
  readonly plans: number;
  readonly notices: number;
  readonly readjustments: number;
  /** Readjustment checks that changed the instalments. */
  readonly readjustmentsApplied: number;
  /** Smoothed contracts whose switch to monthly billing took effect. */
  readonly switchedToMonthly: number;
  /** Contracts whose documents were held for review instead of issued (not numbered, not failures). */
  readonly held: number;
}

/** A progress with every count at zero. */
export const NO_PROGRESS: RunProgress = Object.freeze({
  contractsDone: 0, billed: 0, failed: 0, invoices: 0, lines: 0,
  trueUps: 0, plans: 0, notices: 0, readjustments: 0, readjustmentsApplied: 0, switchedToMonthly: 0, held: 0,
});

export interface RunFailure {
  readonly contractId: string;
  readonly reason: string;
}

export interface RunSummary extends RunProgress {
  readonly runId: number;
  readonly date: string;
  readonly unchanged: number;
  readonly failures: readonly RunFailure[];
  /** Contracts held for review by this run, with the reason (`billing review list`). */
  readonly holds?: readonly RunHold[];
  readonly seconds: number;
  /** Peak resident memory of each worker process, MiB (split runs only). */
  readonly workerPeakRssMiB?: readonly number[];
}

/** Days of reads loaded before the previous billing date, so interpolation always has a bracketing read. */
export const READ_WINDOW_DAYS = 70;
/** Smoothed contracts: reads back to 12 months of history before a plan that may be a year old. */
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

const NO_SMOOTHED: SmoothedDocuments = { plans: [], notices: [], readjustments: [] };

interface Prepared {
  readonly contract: ContractRow;
  readonly invoices: readonly NewInvoice[];
  readonly next: string | null;
  readonly outcome: ContractOutcome;
  readonly lines: number;
  /** Plans, notices and readjustment checks of a smoothed contract. */
  readonly smoothed: SmoothedDocuments;
  /** The contract's switch from smoothed to monthly billing took effect (CGV 6.1). */
  readonly switchedToMonthly?: boolean;
  /** Another run issued its documents meanwhile: leave its next billing date as that run set it. */
  readonly keepNext?: boolean;
  /** Held for review: what release will write, and why (issue 13 item 8). */
  readonly held?: { readonly documents: HeldDocuments; readonly totalTtc: string; readonly reason: string };
}

/** The billing step stopped (e.g. the database went away); `summary` is what it had done by then. */
export class RunStoppedError extends Error {
  override readonly name = "RunStoppedError";
  constructor(message: string, readonly summary: RunSummary, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A unique violation: the document (contract, kind, billing date) or plan is already stored. */
const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  return err?.code === "23505" || err?.cause?.code === "23505";
};

/** R2 data of one contract, loaded per chunk. */
interface R2Parts {
  readonly station: readonly StationDayRow[];
  readonly billed: readonly BilledIndexRow[];
  /** R8: the contract's events and its last invoice's issue date (absent: none). */
  readonly events?: readonly ContractEventRow[] | undefined;
  readonly lastIssueDate?: string | undefined;
}

/** R2: a monthly contract whose meter is not communicating may be estimated (self-read, station, history, peers). */
const estimated = (k: ContractRow): boolean => k.billing_mode === "monthly" && !k.communicating_meter;

function groupByContract<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export async function runBilling(store: Store, opts: RunOptions): Promise<RunSummary> {
  const started = process.hrtime.bigint();
  const { db } = store;
  const reference = referenceFromRows(await loadReference(db));
  const offers = new Map((await loadOffers(db)).map((o) => [o.id, o]));
  const parsedOffers = new Map<string, Case["offer"] | Error>();
  const offerFor = (id: string): Case["offer"] => {
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
  const engineVersion = opts.engineVersion ?? ENGINE_VERSION;
  rulesetFor(engineVersion); // an unknown version fails here, before anything is written
  const rules = { engineVersion };
  const runId = opts.runId ?? (await startRun(db, opts.date, engineVersion));
  const hasher = new InputHasher();
  const knownParts = new Set<string>();
  const progress: { -readonly [K in keyof RunProgress]: number } = { ...NO_PROGRESS };
  let unchanged = 0;
  const failures: RunFailure[] = [];
  const holds: RunHold[] = [];
  const review = opts.review?.enabled ? opts.review : undefined;

  // R2 3.3: the peer averages known on the run date (latest version on or before it), once per run.
  const peerRows = await loadPeerAverages(db, opts.date);
  const peersByOption = new Map<string, PeerAverage[]>();
  const peersOf = (option: string, kva: number): PeerAverage[] => {
    const key = `${option}|${kvaBandOf(kva)}`;
    let list = peersByOption.get(key);
    if (!list) peersByOption.set(key, (list = peerAveragesFromRows(peerRows, option, kvaBandOf(kva))));
    return list;
  };

  const received = { receivedBy: opts.date };
  /**
   * R2: what estimating `rows` needs — reads from a year before the earliest energy period (history),
   * the last distributor read before that, and station days since the last billing date (or the last
   * distributor read if older, at most STATION_WINDOW_DAYS back) — in one query per table.
   */
  const loadEstimationData = async (rows: readonly ContractRow[], earliest: string): Promise<{ reads: MeterReadRow[]; station: StationDayRow[] }> => {
    if (rows.length === 0) return { reads: [], station: [] };
    const ids = rows.map((k) => k.id);
    const historyFrom = dates.addDays(earliest, -HISTORY_READ_WINDOW_DAYS);
    const [history, anchors, station] = await Promise.all([
      loadReadsFor(db, ids, historyFrom, opts.date, received),
      loadLastActualReadsBefore(db, ids, historyFrom, opts.date),
      loadStationDays(db, rows.map((k) => ({ id: k.id, since: lastBillingDateOf(k) ?? k.start_date })), opts.date, opts.date, dates.addDays(opts.date, -STATION_WINDOW_DAYS)),
    ]);
    return { reads: [...anchors, ...history], station };
  };

  const prepare = (
    contract: ContractRow,
    customer: CustomerRow | undefined,
    reads: readonly MeterReadRow[],
    plan: PlanState | undefined,
    r2: R2Parts,
    pendingCharges?: readonly PendingCharge[],
  ): Prepared => {
    const fail = (reason: string): Prepared => ({
      contract,
      invoices: [],
      next: contract.next_billing_date,
      outcome: { contractId: contract.id, outcome: "failed", reason },
      lines: 0,
      smoothed: NO_SMOOTHED,
    });
    try {
      if (!customer) return fail(`customer ${contract.customer_id} not found`);
      const built = buildCase({
        customer, contract, offer: offerFor(contract.offer_id), reference, reads, asOf: opts.date, plan,
        // R2: station days for the contracts loaded for estimation; the peer averages for every contract
        // (in memory; the stored input keeps them only for an estimated invoice, and a smoothed plan
        // without history takes them, CGV 6.1).
        stationDays: stationDaysFromRows(r2.station),
        estimation: { ...opts.estimation, peerAverages: peersOf(contract.price_option, contract.subscribed_kva) },
        lastIndexes: lastIndexesFromRows(r2.billed),
        pendingCharges,
        events: r2.events,
        lastIssueDate: r2.lastIssueDate,
      });
      // R8 · CGV 4: after a price option change, R2's peer averages are those of the option in force on the run date.
      const option = priceOptionAt(built, opts.date);
      const c = option === contract.price_option ? built : { ...built, estimation: { ...built.estimation, peerAverages: peersOf(option, contract.subscribed_kva) } };
      if (contract.billing_mode === "smoothed") return prepareSmoothed(contract, c);
      const out = dueInvoices(c, rules);
      if (!out.ok) return fail(`${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}`);
      if (out.invoices.length === 0) {
        return { contract, invoices: [], next: out.nextBillingDate, outcome: { contractId: contract.id, outcome: "unchanged", reason: "nothing due" }, lines: 0, smoothed: NO_SMOOTHED };
      }
      const input = hasher.storedInput(c, out.invoices);
      const invoices = out.invoices.map(
        (document: Invoice): NewInvoice => ({ document, seriesPrefix: c.contract.invoiceSeries, runId, engineVersion, input }),
      );
      return {
        contract,
        invoices,
        next: out.nextBillingDate,
        outcome: { contractId: contract.id, outcome: "billed", invoices: invoices.length },
        lines: out.invoices.reduce((n, i) => n + i.lines.length, 0),
        smoothed: NO_SMOOTHED,
      };
    } catch (e) {
      return fail(`internal error: ${(e as Error).message}`);
    }
  };

  /** A smoothed contract (CGV 6.1): plan, notices, readjustments and true-up invoices due on the run date. */
  const prepareSmoothed = (contract: ContractRow, c: Case): Prepared => {
    const out = dueSmoothedDocuments(c, {}, rules);
    if (!out.ok) {
      return {
        contract, invoices: [], next: contract.next_billing_date, lines: 0, smoothed: NO_SMOOTHED,
        outcome: { contractId: contract.id, outcome: "failed", reason: `${out.failure.code} (billing date ${out.billingDate}): ${out.failure.message}` },
      };
    }
    const docs: Invoice[] = [];
    const plans: InstalmentPlan[] = [];
    const notices: InstalmentNotice[] = [];
    const readjustments: PlanReadjustment[] = [];
    for (const d of out.documents) {
      switch (d.kind) {
        case "instalmentPlan":
          plans.push(d);
          break;
        case "instalmentNotice":
          notices.push(d);
          break;
        case "readjustment":
          readjustments.push(d);
          break;
        case "monthlyInvoice":
        case "trueUpInvoice":
          docs.push(d);
          break;
      }
    }
    const count = out.documents.length;
    const input = docs.length > 0 ? hasher.storedSmoothedInput(c, docs) : null;
    const invoices = docs.map((document): NewInvoice => ({ document, seriesPrefix: c.contract.invoiceSeries, runId, engineVersion, input: input! }));
    return {
      contract,
      invoices,
      next: out.nextBillingDate,
      outcome: count === 0
        ? { contractId: contract.id, outcome: "unchanged", reason: "nothing due" }
        : { contractId: contract.id, outcome: "billed", invoices: count },
      lines: docs.reduce((n, i) => n + i.lines.length, 0),
      smoothed: { plans, notices, readjustments },
      switchedToMonthly: out.billingMode === "monthly",
    };
  };

  /** The charges invoices of ended contracts (no next billing date) with charges pending on the run date. */
  const prepareChargesInvoices = async (rows: readonly ContractRow[]): Promise<Prepared[]> => {
    const ids = rows.map((k) => k.id);
    const [customers, charges, events] = await Promise.all([
      loadCustomers(db, [...new Set(rows.map((k) => k.customer_id))]),
      loadPendingCharges(db, ids, opts.date),
      loadContractEvents(db, ids),
    ]);
    const customerById = new Map(customers.map((c) => [c.id, c]));
    return rows.map((contract): Prepared => {
      const done = (outcome: Prepared["outcome"], invoices: NewInvoice[] = []): Prepared =>
        ({ contract, invoices, next: null, keepNext: true, outcome, lines: invoices.reduce((n, i) => n + i.document.lines.length, 0), smoothed: NO_SMOOTHED });
      try {
        const customer = customerById.get(contract.customer_id);
        if (!customer) return done({ contractId: contract.id, outcome: "failed", reason: `customer ${contract.customer_id} not found` });
        const built = buildCase({
          customer, contract, offer: offerFor(contract.offer_id), reference, reads: [], asOf: opts.date,
          pendingCharges: charges.get(contract.id)?.map(pendingChargeOf), events: events.get(contract.id),
        });
        // The final invoice billed up to the end: the case's last billing date (the row keeps none after it).
        const c: Case = { ...built, billing: { ...built.billing, lastBillingDate: built.contract.end ?? null } };
        const document = chargesInvoice(c);
        if (document === null) return done({ contractId: contract.id, outcome: "unchanged", reason: "no charges invoice due" });
        const input = hasher.storedInput(c, [document]);
        return done(
          { contractId: contract.id, outcome: "billed", invoices: 1 },
          [{ document, seriesPrefix: c.contract.invoiceSeries, runId, engineVersion, input }],
        );
      } catch (e) {
        return done({ contractId: contract.id, outcome: "failed", reason: `charges invoice: ${(e as Error).message}` });
      }
    });
  };

  const write = async (batch: readonly Prepared[]) => {
    const issued = batch.flatMap((p) => p.invoices);
    await db.transaction().execute(async (trx) => {
      const numbered = await issueInvoices(trx, issued, { knownParts });
      await recordChargeBillings(trx, chargeLinesOf(issued, numbered)); // R3/R4 charges billed once
      const smoothed = batch.filter((p) => p.smoothed !== NO_SMOOTHED);
      if (smoothed.length > 0) {
        await issueSmoothedDocuments(trx, {
          plans: smoothed.flatMap((p) => p.smoothed.plans),
          notices: smoothed.flatMap((p) => p.smoothed.notices),
          readjustments: smoothed.flatMap((p) => p.smoothed.readjustments),
        }, runId);
      }
      const switched = batch.filter((p) => p.switchedToMonthly).map((p) => p.contract.id);
      if (switched.length > 0) await switchToMonthly(trx, switched);
      await setNextBillingDates(
        trx,
        batch.filter((p) => p.outcome.outcome !== "failed" && !p.keepNext).map((p) => ({ id: p.contract.id, next: p.next })),
      );
      const held = batch.filter((p) => p.held !== undefined);
      if (held.length > 0) {
        await insertHeldInvoices(trx, held.map((p) => ({
          runId, contractId: p.contract.id, runDate: opts.date, fromBillingDate: p.contract.next_billing_date,
          totalTtc: p.held!.totalTtc, reason: p.held!.reason, documents: p.held!.documents,
        })));
      }
      await recordOutcomes(trx, runId, batch.map((p) => p.outcome));
    });
    for (const inv of issued) for (const part of Object.values(inv.input.sharedParts)) knownParts.add(part.hash);
  };

  const account = (p: Prepared) => {
    progress.contractsDone += 1;
    switch (p.outcome.outcome) {
      case "billed":
        progress.billed += 1;
        progress.invoices += p.invoices.length;
        progress.lines += p.lines;
        if (p.smoothed !== NO_SMOOTHED) {
          progress.trueUps += p.invoices.filter((i) => i.document.kind === "trueUpInvoice").length;
          progress.plans += p.smoothed.plans.length;
          progress.notices += p.smoothed.notices.length;
          progress.readjustments += p.smoothed.readjustments.length;
          progress.readjustmentsApplied += p.smoothed.readjustments.filter((r) => r.applied).length;
          if (p.switchedToMonthly) progress.switchedToMonthly += 1;
        }
        break;
      case "unchanged":
        unchanged += 1;
        break;
      case "failed":
        progress.failed += 1;
        failures.push({ contractId: p.contract.id, reason: p.outcome.reason ?? "" });
        break;
      case "held":
        progress.held += 1;
        holds.push({ contractId: p.contract.id, totalTtc: p.held?.totalTtc ?? "", reason: p.outcome.reason ?? "" });
        break;
    }
  };

  /**
   * A concurrent run billed the contract after this one read it: its next billing date moved. (A
   * document already stored while the contract is still due is an inconsistency: a failure.)
   */
  const billedMeanwhile = async (k: ContractRow): Promise<boolean> => {
    const now = await db.selectFrom("contract").select("next_billing_date").where("id", "=", k.id).executeTakeFirst();
    return now !== undefined && now.next_billing_date !== k.next_billing_date;
  };

  /** Writes one chunk; if its transaction fails, isolates the contract that broke it. */
  const writeChunk = async (prepared: readonly Prepared[]) => {
    try {
      await write(prepared);
      prepared.forEach(account);
    } catch {
      // Each contract alone; one the store refuses is recorded as failed with the store's reason.
      for (const p of prepared) {
        try {
          await write([p]);
          account(p);
        } catch (e) {
          if (isUniqueViolation(e) && (await billedMeanwhile(p.contract))) {
            // A concurrent run (or a worker of another run) issued this contract's documents first:
            // nothing is missing, so it is not a failure (issue 13: "already issued" is no error).
            const { held: _held, ...rest } = p;
            const already: Prepared = {
              ...rest, invoices: [], smoothed: NO_SMOOTHED, switchedToMonthly: false, keepNext: true, lines: 0,
              outcome: { contractId: p.contract.id, outcome: "unchanged", reason: "already issued by another run" },
            };
            await write([already]);
            account(already);
            continue;
          }
          const { held: _held, ...rest } = p;
          const failed: Prepared = {
            ...rest,
            invoices: [],
            smoothed: NO_SMOOTHED,
            switchedToMonthly: false,
            outcome: { contractId: p.contract.id, outcome: "failed", reason: `store refused the invoice: ${(e as Error).message}` },
          };
          await write([failed]);
          account(failed);
        }
      }
    }
    await opts.onProgress?.({ ...progress });
  };

  try {
    // Pipelined: chunk n+1 is read and computed while chunk n is being written (its own connection),
    // so the process does not sit idle waiting for the database. Writes stay strictly in order.
    let pending: Promise<void> = Promise.resolve();
    const chargesStep = opts.chargesInvoices ?? (opts.afterId === undefined && opts.toId === undefined);
    const dueContracts = chargesStep === "only" ? noChunks() : streamDueContracts(db, opts.date, { chunkSize: opts.chunkSize ?? 1000, afterId: opts.afterId, toId: opts.toId });
    for await (const chunk of dueContracts) {
      const ids = chunk.map((c) => c.id);
      const earliest = chunk.reduce((m, c) => (c.next_billing_date! < m ? c.next_billing_date! : m), opts.date);
      // Smoothed contracts need their plan and a longer history of reads, monthly meters that may be
      // estimated (R2) a year of history and their station days: loaded per chunk, and only when the
      // chunk has some (a chunk of communicating monthly meters costs what it did).
      const smoothedIds = chunk.filter((c) => c.billing_mode === "smoothed").map((c) => c.id);
      const smoothedSet = new Set(smoothedIds);
      const estimatedRows = chunk.filter(estimated);
      const estimatedSet = new Set(estimatedRows.map((c) => c.id));
      const shortIds = smoothedIds.length === 0 && estimatedRows.length === 0 ? ids : ids.filter((id) => !smoothedSet.has(id) && !estimatedSet.has(id));
      const lastBilling = chunk.map((k) => ({ id: k.id, billingDate: lastBillingDateOf(k) }));
      const [customers, reads, smoothedReads, forEstimation, plans, billed, charges, events, heldContracts, recentTotals] = await Promise.all([
        loadCustomers(db, [...new Set(chunk.map((c) => c.customer_id))]),
        loadReadsFor(db, shortIds, dates.addDays(earliest, -31 - READ_WINDOW_DAYS), opts.date, received),
        smoothedIds.length === 0 ? [] : loadReadsFor(db, smoothedIds, dates.addDays(earliest, -SMOOTHED_READ_WINDOW_DAYS), opts.date, received),
        loadEstimationData(estimatedRows, earliest),
        smoothedIds.length === 0 ? new Map<string, PlanState>() : loadPlanStates(db, smoothedIds),
        loadBilledIndexes(db, lastBilling.filter((x): x is { id: string; billingDate: string } => x.billingDate !== null)),
        // R3/R4 charges: on a monthly contract's next invoice, on a smoothed one's next true-up.
        loadPendingCharges(db, ids, opts.date),
        // R8: contract events (switches, terminations, power changes…) of the chunk, one indexed query.
        loadContractEvents(db, ids),
        // Issue 13 item 8: contracts awaiting a review decision are left alone; the others' recent totals.
        loadHeldContracts(db, ids),
        review ? loadRecentInvoiceTotals(db, ids, review.recentInvoices) : new Map<string, string[]>(),
      ]);
      // R1/R8: the last invoice's issue date, only for contracts with events (what it knew of them).
      const lastIssued = events.size === 0 ? new Map<string, string>() : await loadLastIssueDates(db, [...events.keys()]);
      const customerById = new Map(customers.map((c) => [c.id, c]));
      const readsByContract = groupByContract<MeterReadRow>([...reads, ...smoothedReads, ...forEstimation.reads], (r) => r.contract_id);
      const stationByContract = groupByContract(forEstimation.station, (r) => r.contract_id);
      const billedByContract = groupByContract(billed, (r) => r.contractId);
      const prepareOne = (k: ContractRow, contractReads: Map<string, MeterReadRow[]>, station: Map<string, StationDayRow[]>) =>
        prepare(k, customerById.get(k.customer_id), contractReads.get(k.id) ?? [], plans.get(k.id), {
          station: station.get(k.id) ?? [],
          billed: billedByContract.get(k.id) ?? [],
          events: events.get(k.id),
          lastIssueDate: lastIssued.get(k.id),
        }, charges.get(k.id)?.map(pendingChargeOf));
      const prepared = chunk.map((k) => prepareOne(k, readsByContract, stationByContract));
      // A communicating meter whose tele-read of the billing date has not arrived goes down R2's list
      // (docs/rules.md, "Estimation"): the few estimated (or not estimable) from the short window are
      // computed again with a year of history and their station days, as a non-communicating one is.
      const retry = prepared
        .map((p, i) => ({ p, i }))
        .filter(({ p }) => p.contract.billing_mode === "monthly" && p.contract.communicating_meter &&
          (p.outcome.reason?.startsWith("NO_ESTIMATE") || p.invoices.some((inv) => inv.document.consumption?.estimated === true)));
      if (retry.length > 0) {
        const more = await loadEstimationData(retry.map(({ p }) => p.contract), earliest);
        const moreReads = groupByContract<MeterReadRow>(more.reads, (r) => r.contract_id);
        const moreStation = groupByContract(more.station, (r) => r.contract_id);
        for (const { p, i } of retry) prepared[i] = prepareOne(p.contract, moreReads, moreStation);
      }
      // Safety bounds before issuing: a contract held for review earlier is not billed again until a
      // person decides; an invoice beyond the bounds holds its contract's documents of tonight.
      for (const [i, p] of prepared.entries()) {
        const heldId = heldContracts.get(p.contract.id);
        if (heldId !== undefined) {
          prepared[i] = {
            contract: p.contract, invoices: [], next: p.contract.next_billing_date, lines: 0, smoothed: NO_SMOOTHED, keepNext: true,
            outcome: { contractId: p.contract.id, outcome: "unchanged", reason: `held for review (#${heldId}): billed again once released or rejected (billing review list)` },
          };
          continue;
        }
        if (review && p.outcome.outcome === "billed" && p.invoices.length > 0) prepared[i] = holdIfBeyondBounds(p, recentTotals.get(p.contract.id) ?? [], review);
      }
      await pending;
      pending = writeChunk(prepared);
    }
    await pending;

    // R3/R4/R9 after R8: the charges that arose after an ended contract's final invoice have no next
    // invoice to ride on; they go on a charges invoice of their own (core invoice/charges-invoice.ts).
    const ended = chargesStep === false ? [] : await loadEndedContractsWithPendingCharges(db, opts.date, { afterId: opts.afterId, toId: opts.toId });
    for (let i = 0; i < ended.length; i += opts.chunkSize ?? 1000) {
      await writeChunk(await prepareChargesInvoices(ended.slice(i, i + (opts.chunkSize ?? 1000))));
    }

  } catch (e) {
    // The run cannot go on (e.g. the database went away): close it as failed, with what was done.
    if (opts.runId === undefined) {
      await finishRun(db, runId, {
        contractsBilled: progress.billed,
        contractsUnchanged: unchanged,
        contractsFailed: progress.failed,
        invoices: progress.invoices,
        lines: progress.lines,
        status: "failed",
      }).catch(() => undefined);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    throw new RunStoppedError(`billing run #${runId} stopped: ${(e as Error).message}`, { ...progress, runId, date: opts.date, unchanged, failures, seconds }, { cause: e });
  }

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (opts.runId === undefined) {
    await finishRun(db, runId, {
      contractsBilled: progress.billed,
      contractsUnchanged: unchanged,
      contractsFailed: progress.failed,
      invoices: progress.invoices,
      lines: progress.lines,
    });
  }
  return { ...progress, runId, date: opts.date, unchanged, failures, ...(holds.length > 0 ? { holds } : {}), seconds };
}

/** No chunk of due contracts (a run of the charges invoices step alone). */
async function* noChunks(): AsyncGenerator<ContractRow[]> {}

/**
 * Issue 13 item 8: the contract's documents of the night held for review when one of its invoices
 * crosses a bound — nothing issued, numbered or moved (its next billing date, its charges, its plan);
 * `p` unchanged otherwise. The held total shown is the first invoice beyond a bound.
 */
function holdIfBeyondBounds(p: Prepared, recentTotals: readonly string[], review: ReviewBounds): Prepared {
  const beyond = p.invoices
    .map((inv) => ({ inv, reasons: reviewReasons(inv.document.totalTtc, recentTotals, review) }))
    .filter((x) => x.reasons.length > 0);
  if (beyond.length === 0) return p;
  const reason = beyond.flatMap((x) => x.reasons.map((r) => `${x.inv.document.kind} of ${x.inv.document.billingDate}: ${r}`)).join("; ");
  return {
    contract: p.contract,
    invoices: [],
    next: p.contract.next_billing_date,
    lines: 0,
    smoothed: NO_SMOOTHED,
    keepNext: true,
    outcome: { contractId: p.contract.id, outcome: "held", reason, invoices: 0 },
    held: {
      totalTtc: beyond[0]!.inv.document.totalTtc,
      reason,
      documents: { invoices: p.invoices, smoothed: p.smoothed, next: p.next, switchedToMonthly: p.switchedToMonthly === true, lines: p.lines },
    },
  };
}

/** The charge lines of issued invoices (`inputs.chargeId`), with the invoice id and line they landed on. */
export function chargeLinesOf(issued: readonly NewInvoice[], numbered: readonly IssuedInvoice[]): { chargeId: string; invoiceId: number; lineNo: number }[] {
  const out: { chargeId: string; invoiceId: number; lineNo: number }[] = [];
  const withCharges = issued.filter((i) => i.document.lines.some((l) => l.inputs["chargeId"] !== undefined));
  if (withCharges.length === 0) return out;
  const idOf = new Map(numbered.map((n) => [`${n.contractId}|${n.billingDate}|${n.kind}`, n.id]));
  for (const inv of withCharges) {
    const invoiceId = idOf.get(`${inv.document.contractId}|${inv.document.billingDate}|${inv.document.kind}`)!;
    for (const l of inv.document.lines) if (l.inputs["chargeId"] !== undefined) out.push({ chargeId: l.inputs["chargeId"], invoiceId, lineNo: l.lineNo });
  }
  return out;
}
