/**
 * Step 4, **write**: a chunk's documents stored in one transaction — invoices with their lines, VAT
 * groups and inputs (invoice.repository.ts), the charges they billed, smoothed plans, notices and
 * readjustments, switches to monthly billing, next billing dates, held documents and each contract's
 * outcome — so a crash never leaves a contract half-billed. If the chunk's transaction fails, the reason
 * is logged and its contracts are written one by one: one the store refuses is recorded as failed with
 * the store's reason, and never stops the run.
 */
import {
  type ContractRow,
  type Database,
  type EncodedInvoice,
  type IssuedInvoice,
  type NewInvoice,
  chargeLinesOfInvoice,
  currentNextBillingDate,
  isEncoded,
  insertHeldInvoices,
  issueInvoices,
  issueSmoothedDocuments,
  lockContractsForBilling,
  recordChargeBillings,
  recordOutcomes,
  setNextBillingDates,
  storeCaseParts,
  switchToMonthly,
} from "@billing/db";
import type { Kysely } from "kysely";
import { log } from "../../log.ts";
import { type ContractResult, NO_SMOOTHED } from "./types.ts";

/** What the write step keeps between chunks of a run: its id and date, and the shared case parts already stored. */
export interface WriteContext {
  readonly runId: number;
  readonly date: string;
  /** Hashes of the offer and reference parts stored by earlier chunks (not sent again). */
  readonly knownParts: Set<string>;
}

/** A unique violation: the document (contract, kind, billing date) or plan is already stored. */
const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  return err?.code === "23505" || err?.cause?.code === "23505";
};

/** The contract columns a night's write moves (next billing date; a smoothed contract's switch to monthly billing). */
const WRITTEN_BY_A_NIGHT = new Set(["next_billing_date", "billing_mode", "switch_to_monthly_on"]);

/** Two values of a contract's column equal: strings, numbers, booleans and null as they are; a timestamp by its time; jsonb by its JSON. */
const same = (a: unknown, b: unknown): boolean =>
  a === b || (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a !== null && b !== null && typeof a === "object" && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b));

/**
 * The night and events (docs/contract-life.md): `p` as computed from the contract the night read, or —
 * when the contract changed since (`now`, read under the chunk's row lock) — set aside: an event
 * recorded meanwhile (a termination, a power or option change…) or any other change of its row fails
 * it with the reason, nothing issued and its next billing date as the change left it, so the next run
 * bills it with the change; only what a night's write moves changed, its next billing date with it
 * (another run, a review release issued it), is "already issued by another run", as when the store's
 * unique key refuses a second document.
 */
export function asOfNow(p: ContractResult, now: { row: ContractRow; events: number } | undefined): ContractResult {
  if (p.outcome.outcome === "failed") return p; // nothing to issue or move: its own reason stands
  const { held: _held, ...rest } = p;
  const aside = (outcome: ContractResult["outcome"]): ContractResult => ({
    ...rest, invoices: [], smoothed: NO_SMOOTHED, switchedToMonthly: false, keepNext: true, lines: 0, outcome,
  });
  const id = p.contract.id;
  if (now === undefined) return aside({ contractId: id, outcome: "failed", reason: `contract ${id} was removed while the night billed it: nothing issued` });
  if (p.eventsSeen !== undefined && now.events !== p.eventsSeen) {
    return aside({
      contractId: id, outcome: "failed",
      reason: `contract ${id} changed while the night billed it: ${now.events - p.eventsSeen} event(s) recorded meanwhile (billing contracts event); nothing issued tonight, the next run bills it with them`,
    });
  }
  if (now.row === p.contract) return p; // the row as read, its version unchanged (lockContractsForBilling)
  const read = p.contract as unknown as Record<string, unknown>;
  const current = now.row as unknown as Record<string, unknown>;
  const changed: string[] = [];
  for (const k in read) if (!same(read[k], current[k])) changed.push(k);
  if (changed.length === 0) return p;
  if (changed.includes("last_correction_id")) {
    // A correction cancelled and replaced invoices after the night read where the contract's billing
    // stood (the indexes billed up to, the subscription billed in advance): what it computed is stale.
    return aside({
      contractId: id, outcome: "failed",
      reason: `contract ${id} was corrected while the night billed it (correction ${String(current["last_correction_id"])}, billing recalc); nothing issued tonight, the next run bills it from the corrected invoices`,
    });
  }
  if (changed.includes("next_billing_date") && changed.every((k) => WRITTEN_BY_A_NIGHT.has(k))) {
    return aside({ contractId: id, outcome: "unchanged", reason: "already issued by another run" });
  }
  return aside({
    contractId: id, outcome: "failed",
    reason: `contract ${id} changed while the night billed it (${changed.join(", ")}); nothing issued tonight, the next run bills it as it is now`,
  });
}

/**
 * Stores `batch` in one transaction (all of it or nothing) and returns it as written: each contract
 * checked first against the store under its row lock (`asOfNow`: one that changed since the night read
 * it is set aside, not issued).
 */
export async function writeDocuments(db: Kysely<Database>, ctx: WriteContext, computed: readonly ContractResult[]): Promise<readonly ContractResult[]> {
  let batch = computed;
  await storeCaseParts(db, computed.flatMap((p) => p.invoices), ctx.knownParts);
  await db.transaction().execute(async (trx) => {
    const now = await lockContractsForBilling(trx, computed.map((p) => p.contract));
    batch = computed.map((p) => asOfNow(p, now.get(p.contract.id)));
    // What does not depend on the invoices' numbers is written before issueInvoices takes the series
    // lock (held to the commit): the other workers wait for that lock, not for these statements.
    const switched = batch.filter((p) => p.switchedToMonthly).map((p) => p.contract.id);
    if (switched.length > 0) await switchToMonthly(trx, switched);
    await setNextBillingDates(
      trx,
      batch.filter((p) => p.outcome.outcome !== "failed" && !p.keepNext).map((p) => ({ id: p.contract.id, next: p.next })),
    );
    // Each outcome with the lines its contract issued: a billed contract's, as the run's tally counts them (account.ts).
    await recordOutcomes(trx, ctx.runId, batch.map((p) => p.outcome), batch.map((p) => (p.outcome.outcome === "billed" ? p.lines : 0)));
    const issued = batch.flatMap((p) => p.invoices);
    const numbered = await issueInvoices(trx, issued, { knownParts: ctx.knownParts });
    await recordChargeBillings(trx, chargeLinesOf(issued, numbered)); // R3/R4 charges billed once
    const smoothed = batch.filter((p) => p.smoothed !== NO_SMOOTHED);
    if (smoothed.length > 0) {
      await issueSmoothedDocuments(trx, {
        plans: smoothed.flatMap((p) => p.smoothed.plans),
        notices: smoothed.flatMap((p) => p.smoothed.notices),
        readjustments: smoothed.flatMap((p) => p.smoothed.readjustments),
      }, ctx.runId);
    }
    const held = batch.filter((p) => p.held !== undefined);
    if (held.length > 0) {
      await insertHeldInvoices(trx, held.map((p) => ({
        runId: ctx.runId, contractId: p.contract.id, runDate: ctx.date, fromBillingDate: p.contract.next_billing_date,
        totalTtc: p.held!.totalTtc, reason: p.held!.reason, documents: p.held!.documents,
      })));
    }
  });
  for (const inv of batch.flatMap((p) => p.invoices)) for (const part of Object.values(isEncoded(inv) ? inv.sharedParts : inv.input.sharedParts)) ctx.knownParts.add(part.hash);
  return batch;
}

/**
 * A concurrent run billed the contract after this one read it: its next billing date moved. (A
 * document already stored while the contract is still due is an inconsistency: a failure.)
 */
async function billedMeanwhile(db: Kysely<Database>, k: ContractRow): Promise<boolean> {
  const now = await currentNextBillingDate(db, k.id);
  return now !== undefined && now !== k.next_billing_date;
}

/**
 * Writes one chunk and hands each contract as written to `written` (the account step), in order: the
 * chunk as computed, or — when its transaction fails — each contract alone, one the store refuses as
 * failed with the store's reason, one another run issued meanwhile as unchanged.
 */
export async function writeChunk(
  db: Kysely<Database>,
  ctx: WriteContext,
  prepared: readonly ContractResult[],
  written: (p: ContractResult) => void,
): Promise<void> {
  try {
    (await writeDocuments(db, ctx, prepared)).forEach((p) => written(p));
    return;
  } catch (chunkError) {
    log().warn({
      event: "chunk write failed", runId: ctx.runId, date: ctx.date, contracts: prepared.length,
      firstContractId: prepared[0]?.contract.id, lastContractId: prepared[prepared.length - 1]?.contract.id,
      reason: (chunkError as Error).message,
    }, "chunk write failed: writing its contracts one by one");
  }
  for (const p of prepared) {
    try {
      (await writeDocuments(db, ctx, [p])).forEach((w) => written(w));
    } catch (e) {
      const { held: _held, ...rest } = p;
      if (isUniqueViolation(e) && (await billedMeanwhile(db, p.contract))) {
        // A concurrent run (or a worker of another run) issued this contract's documents first:
        // nothing is missing, so it is not a failure (issue 13: "already issued" is no error).
        const already: ContractResult = {
          ...rest, invoices: [], smoothed: NO_SMOOTHED, switchedToMonthly: false, keepNext: true, lines: 0,
          outcome: { contractId: p.contract.id, outcome: "unchanged", reason: "already issued by another run" },
        };
        (await writeDocuments(db, ctx, [already])).forEach((w) => written(w));
        continue;
      }
      const failed: ContractResult = {
        ...rest,
        invoices: [],
        smoothed: NO_SMOOTHED,
        switchedToMonthly: false,
        lines: 0,
        outcome: { contractId: p.contract.id, outcome: "failed", reason: `store refused the invoice: ${(e as Error).message}` },
      };
      (await writeDocuments(db, ctx, [failed])).forEach((w) => written(w));
    }
  }
}

/** The charge lines of issued invoices (`inputs.chargeId`), with the invoice id and line they landed on. */
export function chargeLinesOf(issued: readonly (NewInvoice | EncodedInvoice)[], numbered: readonly IssuedInvoice[]): { chargeId: string; invoiceId: number; lineNo: number }[] {
  const out: { chargeId: string; invoiceId: number; lineNo: number }[] = [];
  const withCharges = issued.filter((i) => chargeLinesOfInvoice(i).length > 0);
  if (withCharges.length === 0) return out;
  const idOf = new Map(numbered.map((n) => [`${n.contractId}|${n.billingDate}|${n.kind}`, n.id]));
  for (const inv of withCharges) {
    const { contractId, billingDate, kind } = isEncoded(inv) ? inv : inv.document;
    const invoiceId = idOf.get(`${contractId}|${billingDate}|${kind}`)!;
    for (const l of chargeLinesOfInvoice(inv)) out.push({ chargeId: l.chargeId, invoiceId, lineNo: l.lineNo });
  }
  return out;
}
