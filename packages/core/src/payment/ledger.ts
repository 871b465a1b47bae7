/**
 * The customer account (compte client; R3 · CGV 6.4, R4 · CGV 6.5): every issued document and every
 * money movement of one customer as signed entries of one account. Pure: entries in, balance and
 * allocation out.
 *
 * Sign: an entry's amount is what it adds to what the customer owes. Invoices, instalment notices,
 * penalties, indemnities and refunds paid out are positive (a refund pays a credit back, so the
 * account moves back towards zero); payments, a true-up's credit, a late-refund penalty owed to the
 * customer are negative. Balance > 0: the customer owes it; < 0: a credit (trop-perçu).
 *
 * Allocation (lettrage): the money in — payments and negative entries — is allocated to the oldest
 * open items (positive entries) first, FIFO by due date then reference; money in is taken in order
 * of its date then reference. An unallocated surplus is the account's credit. The result does not
 * depend on the order the entries are given in.
 *
 * A credit note (avoir, CGV 6.6) is not money in: it cancels the invoice it names. It is allocated to
 * that invoice first, as a *cancellation*, before any money, and the cancelled part counts as never
 * owed: it bears no late-payment penalty (R3) and is never overdue (R10), and the money that had been
 * allocated to it moves on to the next open items (the invoice that replaces it, usually). Reading
 * (docs/payments.md): an invoice found wrong and cancelled was never due; the replacing invoice has its
 * own due date. What a credit note leaves over (it cancels more than is left) is money in like any other.
 *
 * A returned payment (rejet de prélèvement, chèque impayé; payment/returned-payment.ts) is an entry of its
 * own, positive, dated the day the money went back, naming the payment it returns: the balance shows the
 * money in, then out again. For the allocation it is not an item: from its date on, the payment it names
 * counts for its amount less what came back — R3, « a payment counts on the day the supplier receives
 * it », and a returned payment was not received: the items it settled are owed again from their due date.
 */
import type { LocalDate } from "../primitives/dates.ts";
import { type Dec, ZERO, add, compare, dec, formatCents, isNegative, isZero, max, min, neg, sub, sum } from "../primitives/money.ts";

export const LEDGER_ENTRY_KINDS = [
  "invoice",
  "instalment",
  "latePaymentPenalty",
  "recoveryIndemnity",
  "lateRefundPenalty",
  "distributorService",
  "longOutageCredit",
  "missedAppointmentCredit",
  "payment",
  "refund",
  "paymentReturn",
] as const;
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

export interface LedgerEntry {
  readonly kind: LedgerEntryKind;
  /** Unique in the account: "invoice:FA-2025-000001", "payment:VIR-123", "refund:7", … */
  readonly ref: string;
  /** The day the entry counts: issue date, payment receipt date, refund paid date. */
  readonly date: LocalDate;
  /** When it must be paid (items owed by the customer); absent on money in. */
  readonly dueDate?: LocalDate | undefined;
  /** Signed decimal string, see the module doc. */
  readonly amount: string;
  /** Contract it belongs to, when it has one. */
  readonly contractId?: string | undefined;
  /** A credit note: the ref of the item it cancels ("invoice:FA-…"). */
  readonly cancels?: string | undefined;
  /** A returned payment: the ref of the payment it returns ("payment:…"). */
  readonly returns?: string | undefined;
  /** A readable label for statements. */
  readonly label: string;
}

/** Balance of the account at the end of `date` (entries dated on or before it), exact. */
export function balanceAt(entries: readonly LedgerEntry[], date: LocalDate): Dec {
  return sum(entries.filter((e) => e.date <= date).map((e) => dec(e.amount)));
}

export interface Allocation {
  /** The money in (payment or credit entry) that settles part of the item. */
  readonly sourceRef: string;
  /** The day that money counts for the item (its receipt date; a credit note's issue date). */
  readonly date: LocalDate;
  /** A credit note cancelling the item: the part counts as never owed (not a receipt). */
  readonly cancellation?: true;
  readonly amount: string;
}

export interface AllocatedItem {
  readonly entry: LedgerEntry;
  readonly dueDate: LocalDate;
  readonly allocations: readonly Allocation[];
  /** Still owed on the item. */
  readonly open: string;
  /** The part a credit note cancelled ("0.00" when none): the item's amount less it is what was ever owed. */
  readonly cancelled: string;
  /** The date of the money that settled it in full (its own date when a credit note cancelled it in full); null while open. */
  readonly settledOn: LocalDate | null;
}

export interface AccountAllocation {
  readonly items: readonly AllocatedItem[];
  /** Money in not allocated to any item (a credit of the account), ≥ 0. */
  readonly unallocated: string;
  readonly balance: string;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Allocates the money in of `entries` (those dated on or before `asOf`) to its items, oldest due
 * first. Items without a due date fall due on their date.
 */
export function allocate(entries: readonly LedgerEntry[], asOf: LocalDate): AccountAllocation {
  const inForce = entries.filter((e) => e.date <= asOf);
  // A payment returned by `asOf` counts for what was not returned (returned-payment.ts): never received.
  const returned = new Map<string, Dec>();
  for (const e of inForce) if (e.returns !== undefined) returned.set(e.returns, add(returned.get(e.returns) ?? ZERO, dec(e.amount)));
  const items = inForce
    .filter((e) => e.returns === undefined && !isNegative(dec(e.amount)) && !isZero(dec(e.amount)))
    .map((e) => ({ entry: e, dueDate: e.dueDate ?? e.date, left: dec(e.amount), allocations: [] as Allocation[], settledOn: null as LocalDate | null }))
    .sort((a, b) => byString(a.dueDate, b.dueDate) || byString(a.entry.ref, b.entry.ref));
  const sources = inForce
    .filter((e) => isNegative(dec(e.amount)))
    .map((e) => ({ entry: e, left: max(ZERO, sub(neg(dec(e.amount)), returned.get(e.ref) ?? ZERO)) }))
    .sort((a, b) => byString(a.entry.date, b.entry.date) || byString(a.entry.ref, b.entry.ref));

  // Credit notes first: each cancels (part of) the item it names, before any money is allocated.
  const byRef = new Map(items.map((it) => [it.entry.ref, it]));
  const cancelled = new Map<string, Dec>();
  for (const s of sources) {
    const item = s.entry.cancels === undefined ? undefined : byRef.get(s.entry.cancels);
    if (!item) continue;
    const take = min(s.left, item.left);
    if (isZero(take)) continue;
    item.allocations.push({ sourceRef: s.entry.ref, date: s.entry.date, amount: formatCents(take), cancellation: true });
    item.left = sub(item.left, take);
    s.left = sub(s.left, take);
    // Several credit notes may each cancel part of one item: what they cancel adds up.
    cancelled.set(item.entry.ref, add(cancelled.get(item.entry.ref) ?? ZERO, take));
  }

  const open = items.filter((it) => !isZero(it.left));
  for (const it of items) if (isZero(it.left)) it.settledOn = it.entry.date; // cancelled in full: never owed
  let i = 0;
  for (const s of sources) {
    while (!isZero(s.left) && i < open.length) {
      const item = open[i]!;
      const take = min(s.left, item.left);
      item.allocations.push({ sourceRef: s.entry.ref, date: s.entry.date, amount: formatCents(take) });
      item.left = sub(item.left, take);
      s.left = sub(s.left, take);
      if (isZero(item.left)) {
        // Settled by this money: the latest receipt among its allocations (money is taken in date order).
        item.settledOn = item.allocations.reduce((m, a) => (a.cancellation || a.date <= m ? m : a.date), s.entry.date);
        i += 1;
      }
    }
  }
  const unallocated = sum(sources.map((s) => s.left));
  return {
    items: items.map((it) => ({
      entry: it.entry, dueDate: it.dueDate, allocations: it.allocations, open: formatCents(it.left),
      cancelled: formatCents(cancelled.get(it.entry.ref) ?? ZERO), settledOn: it.settledOn,
    })),
    unallocated: formatCents(unallocated),
    balance: formatCents(balanceAt(inForce, asOf)),
  };
}

/** R3: what an item was ever owed — its amount less what a credit note cancelled — and the money received for it. */
export function owedPart(item: AllocatedItem): { readonly amount: string; readonly receipts: readonly { date: LocalDate; amount: string }[] } {
  return {
    amount: formatCents(sub(dec(item.entry.amount), dec(item.cancelled))),
    receipts: item.allocations.filter((a) => !a.cancellation).map((a) => ({ date: a.date, amount: a.amount })),
  };
}

/** Items of the account due before `date` with an amount still owed (for reminders, R10). */
export function overdueItems(entries: readonly LedgerEntry[], date: LocalDate): AllocatedItem[] {
  return allocate(entries, date).items.filter((it) => it.dueDate < date && compare(dec(it.open), ZERO) > 0);
}

/**
 * The amount of an item owed at the start of each day (R3: a payment received on d reduces the
 * balance from d + 1): its amount less what was allocated to it from money received before that day.
 * A cancellation (credit note) counts from the start: the cancelled part was never owed.
 */
export function owedAtStartOf(item: { amount: Dec; allocations: readonly { date: LocalDate; amount: string; cancellation?: true }[] }, day: LocalDate): Dec {
  return item.allocations.reduce((owed, a) => (a.cancellation || a.date < day ? sub(owed, dec(a.amount)) : owed), item.amount);
}

/** Sum by kind (money in counted positive), for statements and the ledger property. */
export function totalsByKind(entries: readonly LedgerEntry[], asOf: LocalDate): Record<LedgerEntryKind, string> {
  const out = Object.fromEntries(LEDGER_ENTRY_KINDS.map((k) => [k, ZERO])) as Record<LedgerEntryKind, Dec>;
  for (const e of entries) if (e.date <= asOf) out[e.kind] = add(out[e.kind], dec(e.amount));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, formatCents(v)])) as Record<LedgerEntryKind, string>;
}

/**
 * R4: the account's credit at the end of `date` still to be decided on — minus the balance, less the
 * refunds already decided and not paid by then (`unpaidRefunds`, amounts > 0). ≤ 0: no credit.
 */
export function availableCredit(entries: readonly LedgerEntry[], date: LocalDate, unpaidRefunds: readonly string[]): string {
  return formatCents(sub(neg(balanceAt(entries, date)), sum(unpaidRefunds.map((a) => dec(a)))));
}

/** The balance after each entry, in the given order (for statements). */
export function runningBalances(entries: readonly LedgerEntry[]): string[] {
  let b = ZERO;
  return entries.map((e) => formatCents((b = add(b, dec(e.amount)))));
}

/** A decimal string strictly above zero (no arithmetic: "0.00", "-3" are not). */
export const isPositiveAmount = (s: string): boolean => !s.trim().startsWith("-") && /[1-9]/.test(s);

/** Two decimal strings compare equal as amounts ("12.5" = "12.50"). */
export const sameAmount = (a: string, b: string): boolean => compare(dec(a), dec(b)) === 0;
