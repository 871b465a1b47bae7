/**
 * The nightly unpaid-bill step (R10 · CGV 8, 9): for every customer with an overdue balance or an
 * open procedure, ask the core for the procedure's next step on the run date and record every step
 * that may be taken that day — letters are "sent" that day — or close the procedure when the
 * balance is paid. One small transaction per customer; a customer that fails is recorded with its
 * reason and the step goes on. Idempotent: a step is unique per (procedure, step) and the core
 * never proposes a step already recorded, so a rerun on the same date records nothing new.
 */
import {
  type CustomerSituation,
  type DunningDecision,
  type DunningPolicy,
  type DunningStepKind,
  type OverdueItem,
  type RecordedDunningStep,
  DUNNING_STEPS,
  isLetterStep,
  nextDunningStep,
  overdueBalanceOf,
} from "@billing/core";
import {
  type Store,
  type StoredDunningProcedure,
  customersWithOpenProcedure,
  dunningHistory,
  loadCustomerSituations,
  loadOpenProcedures,
  loadOverdueItems,
  openDunningProcedure,
  recordDunningFailure,
  recordDunningStep,
  storeToday,
} from "@billing/db";

type Db = Store["db"];
type Trx = Parameters<typeof recordDunningStep>[0];

/** One customer's overdue items on the date. */
export interface CustomerOverdueItems {
  readonly customerId: string;
  readonly items: readonly OverdueItem[];
}

/** Where overdue items come from: the customer ledger by default; tests may pass their own. */
export type OverdueLoader = (db: Db, date: string, customerIds?: readonly string[]) => Promise<CustomerOverdueItems[]>;

/** The customer ledger's overdue items (payments allocated to the oldest items first). */
export const ledgerOverdueLoader: OverdueLoader = async (db, date, customerIds) =>
  (await loadOverdueItems(db, date, customerIds ? { customerIds } : {})).map((c) => ({
    customerId: c.customerId,
    items: c.items.map((i) => ({ itemRef: i.entry.ref, dueDate: i.dueDate, amountOwedTtc: i.open })),
  }));

export interface DunningRunOptions {
  /** Default: {@link ledgerOverdueLoader}. */
  readonly loadOverdue?: OverdueLoader;
  readonly policy?: Partial<DunningPolicy>;
  /** Compute and report, write nothing (default: false). */
  readonly dryRun?: boolean;
  /** Only these customers (default: every customer with something overdue or an open procedure). */
  readonly customerIds?: readonly string[];
  /** Customers per read chunk (default: 500). */
  readonly chunkSize?: number;
}

export interface TakenDunningStep {
  readonly customerId: string;
  readonly procedureId: number | null;
  readonly stepId: number | null;
  readonly step: DunningStepKind;
  readonly explanation: string;
}

export interface DunningRunSummary {
  readonly date: string;
  readonly dryRun: boolean;
  /** Customers looked at. */
  readonly customers: number;
  readonly taken: readonly TakenDunningStep[];
  /** Steps recorded, by kind. */
  readonly counts: Readonly<Record<DunningStepKind, number>>;
  /** Customers whose next step is blocked today (truce, FSL, a receipt awaited, a delay running). */
  readonly waiting: number;
  readonly failures: readonly { readonly customerId: string; readonly reason: string }[];
  /** Why nothing was recorded (the date is in the future of the store's clock); absent otherwise. */
  readonly notRecorded?: string;
}

/** At most this many steps per customer in one night (reminder … interruption is 5). */
const MAX_STEPS_PER_NIGHT = DUNNING_STEPS.length;

/** Runs the nightly unpaid-bill step on `date`. Never throws for one customer's failure. */
export async function runDunning(store: Store, date: string, opts: DunningRunOptions = {}): Promise<DunningRunSummary> {
  const db = store.db;
  const dryRun = opts.dryRun ?? false;
  // Issue 13: a step is never recorded dated in the future of the store's clock (a mistyped or
  // --allow-date run date): the step records nothing and says why. A dry run may look ahead.
  if (!dryRun) {
    const today = await storeToday(db);
    if (date > today) {
      const counts = Object.fromEntries(DUNNING_STEPS.map((k) => [k, 0])) as Record<DunningStepKind, number>;
      return { date, dryRun, customers: 0, taken: [], counts, waiting: 0, failures: [], notRecorded: `${date} is after the store's today (${today}): no dunning step is recorded dated in the future` };
    }
  }
  const loader = opts.loadOverdue ?? ledgerOverdueLoader;
  const overdue = await loader(db, date, opts.customerIds);
  const itemsOf = new Map(overdue.map((c) => [c.customerId, c.items]));
  const open = await customersWithOpenProcedure(db, date);
  const wanted = opts.customerIds ? new Set(opts.customerIds) : null;
  const customers = [...new Set([...itemsOf.keys(), ...open])].filter((id) => !wanted || wanted.has(id)).sort();

  const taken: TakenDunningStep[] = [];
  const failures: { customerId: string; reason: string }[] = [];
  let waiting = 0;
  const chunkSize = opts.chunkSize ?? 500;
  for (let i = 0; i < customers.length; i += chunkSize) {
    const chunk = customers.slice(i, i + chunkSize);
    const [situations, procedures] = await Promise.all([loadCustomerSituations(db, chunk, date), loadOpenProcedures(db, chunk, date)]);
    const one = (customerId: string, trx?: Trx) => {
      const situation = situations.get(customerId);
      if (!situation) throw new Error(`customer ${customerId} is not in the store`);
      return dunCustomer(store, date, customerId, itemsOf.get(customerId) ?? [], situation, procedures.get(customerId) ?? null, opts.policy, dryRun, trx);
    };
    // The chunk's steps in one transaction; if it fails, customer by customer (one transaction each),
    // so one bad customer is recorded as failed and never holds back the others.
    if (!dryRun) {
      const all = await db
        .transaction()
        .execute(async (trx) => {
          const out: Awaited<ReturnType<typeof dunCustomer>>[] = [];
          for (const customerId of chunk) out.push(await one(customerId, trx));
          return out;
        })
        .catch(() => null);
      if (all !== null) {
        for (const r of all) {
          taken.push(...r.taken);
          if (r.waiting) waiting++;
        }
        continue;
      }
    }
    for (const customerId of chunk) {
      try {
        const r = await one(customerId);
        taken.push(...r.taken);
        if (r.waiting) waiting++;
      } catch (e) {
        const reason = (e as Error).message;
        failures.push({ customerId, reason });
        if (!dryRun) await recordDunningFailure(db, date, customerId, reason).catch(() => undefined);
      }
    }
  }
  const counts = Object.fromEntries(DUNNING_STEPS.map((k) => [k, taken.filter((t) => t.step === k).length])) as Record<DunningStepKind, number>;
  return { date, dryRun, customers: customers.length, taken, counts, waiting, failures };
}

/** One customer: every step the core allows today, in one transaction. */
async function dunCustomer(
  store: Store,
  date: string,
  customerId: string,
  items: readonly OverdueItem[],
  situation: CustomerSituation,
  procedure: StoredDunningProcedure | null,
  policy: Partial<DunningPolicy> | undefined,
  dryRun: boolean,
  /** The caller's transaction (a chunk written at once); absent = one of its own. */
  inTransaction?: Trx,
): Promise<{ taken: TakenDunningStep[]; waiting: boolean }> {
  const steps: RecordedDunningStep[] = [...(procedure?.steps ?? [])];
  const decide = (): DunningDecision => nextDunningStep({ customerId, overdue: items, steps, situation, today: date, ...(policy ? { policy } : {}) });
  const run = async (write: ((fn: (trx: Trx) => Promise<void>) => Promise<void>) | null) => {
    const out: TakenDunningStep[] = [];
    let procedureId = procedure?.id ?? null;
    let d = decide();
    for (let n = 0; n < MAX_STEPS_PER_NIGHT && d.mayTakeToday && d.step !== null; n++) {
      const step = d.step;
      let stepId: number | null = null;
      if (write) {
        await write(async (trx) => {
          if (procedureId === null) {
            const b = overdueBalanceOf(items)!;
            procedureId = await openDunningProcedure(trx, { customerId, itemRef: b.oldestItemRef, itemDueDate: b.oldestDueDate, openedOn: date });
          }
          stepId = await recordDunningStep(trx, procedureId, customerId, {
            step,
            earliestDate: d.earliestDate ?? date,
            takenOn: date,
            letterSentOn: isLetterStep(step) ? date : null,
            balanceTtc: d.inputs["balanceTtc"] ?? "0.00",
            feeRebillable: d.feeRebillable,
            rule: d.rule,
            legalBasis: d.legalBasis,
            inputs: d.inputs,
            explanation: d.explanation,
          });
        });
        if (stepId === null) break; // already recorded by a concurrent run: nothing twice
      }
      out.push({ customerId, procedureId, stepId, step, explanation: d.explanation });
      steps.push({ step, takenOn: date, letterSentOn: isLetterStep(step) ? date : null, letterReceivedOn: null });
      if (step === "settled") {
        // R10 · CGV 8: the procedure stops; what is overdue now (a debt that fell due after its reminder) starts
        // a procedure of its own the same night, with its reminder — as the settled step says. Up to the black-box
        // audit it waited for the next night, so a rerun of this night recorded that reminder then (dated this
        // night), and a night skipped left the customer without a letter.
        steps.length = 0;
        procedureId = null;
      }
      d = decide();
    }
    return { taken: out, waiting: d.outcome === "step" && !d.mayTakeToday };
  };
  if (dryRun) return run(null);
  if (inTransaction) return run((fn) => fn(inTransaction));
  // One transaction per customer: its steps of the night are written together or not at all.
  return store.db.transaction().execute((trx) => run((fn) => fn(trx)));
}

/** A customer's procedures as known on a day, and the next step the core computes for that day. */
export interface DunningOutlook {
  readonly customerId: string;
  readonly asOf: string;
  readonly situation: CustomerSituation;
  readonly overdue: readonly OverdueItem[];
  readonly procedures: readonly StoredDunningProcedure[];
  readonly next: DunningDecision;
}

/** {@link DunningOutlook} of one customer (for `billing dunning show`); null when the customer is unknown. */
export async function dunningOutlook(
  store: Store,
  customerId: string,
  asOf: string,
  opts: { loadOverdue?: OverdueLoader; policy?: Partial<DunningPolicy> } = {},
): Promise<DunningOutlook | null> {
  const db = store.db;
  const situation = (await loadCustomerSituations(db, [customerId], asOf)).get(customerId);
  if (!situation) return null;
  const loader = opts.loadOverdue ?? ledgerOverdueLoader;
  const [overdue, procedures, open] = await Promise.all([
    loader(db, asOf, [customerId]),
    // Every step recorded, whatever `asOf` (issue 13: a view of today hid the steps a run dated later had recorded).
    dunningHistory(db, customerId),
    loadOpenProcedures(db, [customerId], asOf),
  ]);
  const items = overdue.find((c) => c.customerId === customerId)?.items ?? [];
  const next = nextDunningStep({ customerId, overdue: items, steps: open.get(customerId)?.steps ?? [], situation, today: asOf, ...(opts.policy ? { policy: opts.policy } : {}) });
  return { customerId, asOf, situation, overdue: items, procedures, next };
}
