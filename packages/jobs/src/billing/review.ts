/**
 * Invoices held for review (issue 13 item 8): the nightly run holds a contract's documents when one
 * of its invoices crosses a safety bound (docs/architecture.md, "Held for review"). A person then
 * - **releases** them: issued exactly as the run computed them (the figures reviewed), numbered now
 *   — held documents never take a number, so the series stays gapless — with the contract's next
 *   billing date, charges and plan moved as the run would have moved them; or
 * - **rejects** them with a reason: nothing is issued, the contract was never moved, so the next run
 *   bills it again from the data it then has (a corrected read, a fixed price) — and holds it again if
 *   the figures are still beyond the bounds.
 * Both are recorded with who decided and when (the store's clock, read at the edge).
 */
import {
  type ContractRow,
  type HeldInvoice,
  type Store,
  canonicalJson,
  decideHeldInvoice,
  findHeldInvoiceForUpdate,
  issueInvoices,
  issueSmoothedDocuments,
  listHeldInvoices,
  recordChargeBillings,
  setNextBillingDates,
  switchToMonthly,
  lockContractsForBilling,
  lockNextBillingDate,
} from "@billing/db";
import { type HeldDocuments, chargeLinesOf } from "./nightly-run.ts";
import type { HeldContractSeen } from "./night/types.ts";

export type ReviewDecision =
  | { readonly ok: true; readonly held: HeldInvoice; readonly numbers: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** One held batch as `billing review list` shows it: its documents' kind, billing date and total. */
export interface HeldSummary extends Omit<HeldInvoice, "documents"> {
  readonly documents: readonly { kind: string; billingDate: string; totalTtc: string }[];
}

export async function listHeld(store: Store, o: { all?: boolean } = {}): Promise<HeldSummary[]> {
  return (await listHeldInvoices(store.db, o)).map((h) => ({
    ...h,
    documents: (h.documents as HeldDocuments).invoices.map((i) => ({ kind: i.document.kind, billingDate: i.document.billingDate, totalTtc: i.document.totalTtc })),
  }));
}

const notHeld = (h: HeldInvoice): string =>
  `#${h.id} was already ${h.status} by ${h.decidedBy ?? "?"} at ${h.decidedAt ?? "?"}${h.decisionReason ? ` (${h.decisionReason})` : ""}`;

/** Issues a held batch as the run computed it (numbered now), in one transaction. */
export async function releaseHeld(store: Store, id: number, o: { by: string; at: Date | string }): Promise<ReviewDecision> {
  return store.db.transaction().execute(async (trx): Promise<ReviewDecision> => {
    const h = await findHeldInvoiceForUpdate(trx, id);
    if (!h) return { ok: false, reason: `no held invoice #${id} (billing review list)` };
    if (h.status !== "held") return { ok: false, reason: notHeld(h) };
    const k = await lockNextBillingDate(trx, h.contractId);
    if (!k || k.next_billing_date !== h.fromBillingDate) {
      return { ok: false, reason: `#${id}: contract ${h.contractId}'s next billing date moved from ${h.fromBillingDate} to ${k?.next_billing_date ?? "none"} since it was held: reject it (the next run bills the contract again)` };
    }
    const d = h.documents as HeldDocuments;
    if (d.seen !== undefined) {
      // The row as held (from JSON: never the night's own object, so read again whole) against the row now.
      const seenRow = { ...d.seen.contract, id: h.contractId } as unknown as ContractRow;
      const changed = changesSinceHeld(d.seen, (await lockContractsForBilling(trx, [seenRow])).get(h.contractId));
      if (changed !== undefined) {
        return { ok: false, reason: `#${id}: contract ${h.contractId} changed since it was held (${changed}): its documents were computed without it — reject it (the next run bills the contract with the change)` };
      }
    }
    const numbered = await issueInvoices(trx, d.invoices);
    await recordChargeBillings(trx, chargeLinesOf(d.invoices, numbered));
    if (d.smoothed.plans.length + d.smoothed.notices.length + d.smoothed.readjustments.length > 0) await issueSmoothedDocuments(trx, d.smoothed, h.runId);
    if (d.switchedToMonthly) await switchToMonthly(trx, [h.contractId]);
    await setNextBillingDates(trx, [{ id: h.contractId, next: d.next }]);
    await decideHeldInvoice(trx, id, { status: "released", by: o.by, at: o.at, invoiceIds: numbered.map((n) => n.id) });
    return { ok: true, held: h, numbers: numbered.map((n) => n.number) };
  });
}

/** JSON as stored in jsonb (a timestamp as its ISO text), keys sorted: a column's value as read then and now compare equal. */
const asStored = (v: unknown): string => canonicalJson(JSON.parse(JSON.stringify(v ?? null)) as unknown);

/**
 * Issue 13 item 8 with R8: what changed in a held contract since the run computed its documents — events
 * recorded since (a termination, a power or option change: the documents bill as if none happened, and
 * releasing them would also overwrite the next billing date the event set) or a column of its row (a
 * correction committed, a request to switch to monthly billing) — or undefined if nothing did. The next
 * billing date is checked by the caller first (another run or release issued the contract).
 */
export function changesSinceHeld(seen: HeldContractSeen, now: { row: ContractRow; events: number } | undefined): string | undefined {
  if (now === undefined) return "the contract was removed";
  const recorded = now.events - seen.events;
  const current = now.row as unknown as Record<string, unknown>;
  const columns = Object.keys(seen.contract).filter((k) => k !== "next_billing_date" && asStored(seen.contract[k]) !== asStored(current[k]));
  const what = [
    ...(recorded !== 0 ? [`${recorded} event(s) recorded since (billing contracts event)`] : []),
    ...(columns.length > 0 ? [`its ${columns.join(", ")} changed`] : []),
  ];
  return what.length === 0 ? undefined : what.join("; ");
}

/** Records a held batch as rejected with its reason: nothing issued; the next run bills the contract again. */
export async function rejectHeld(store: Store, id: number, o: { by: string; at: Date | string; reason: string }): Promise<ReviewDecision> {
  if (o.reason.trim() === "") return { ok: false, reason: "a rejection needs its reason (--reason)" };
  return store.db.transaction().execute(async (trx): Promise<ReviewDecision> => {
    const h = await findHeldInvoiceForUpdate(trx, id);
    if (!h) return { ok: false, reason: `no held invoice #${id} (billing review list)` };
    if (h.status !== "held") return { ok: false, reason: notHeld(h) };
    await decideHeldInvoice(trx, id, { status: "rejected", by: o.by, at: o.at, reason: o.reason });
    return { ok: true, held: h, numbers: [] };
  });
}
