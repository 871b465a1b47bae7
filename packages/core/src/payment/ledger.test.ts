/**
 * The customer account (R3 · CGV 6.4, R4 · CGV 6.5): balance at a date, FIFO allocation of money in
 * to the oldest open items, an unallocated surplus as a credit. Examples by hand and fast-check
 * properties: the balance always equals invoices + instalments + penalties + indemnities − payments
 * + refunds paid, whatever order the entries arrive in, and allocation conserves every cent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays } from "../primitives/dates.ts";
import { add, dec, div, formatCents, neg, sub, sum, ZERO } from "../primitives/money.ts";
import { type LedgerEntry, allocate, balanceAt, overdueItems, owedAtStartOf, owedPart, totalsByKind } from "./ledger.ts";

const inv = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "invoice", ref: `invoice:${ref}`, date, dueDate: addDays(date, 15), amount, label: ref });
const pay = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "payment", ref: `payment:${ref}`, date, amount: `-${amount}`, label: ref });

describe("customer account (R3, R4)", () => {
  const entries = [inv("A", "2025-03-01", "100.00"), inv("B", "2025-04-01", "80.00"), pay("P1", "2025-03-20", "130.00"), pay("P2", "2025-04-25", "90.00")];

  it("R3 balance at any date: what was issued minus what was received up to that day", () => {
    expect(formatCents(balanceAt(entries, "2025-02-28"))).toBe("0.00");
    expect(formatCents(balanceAt(entries, "2025-03-19"))).toBe("100.00");
    expect(formatCents(balanceAt(entries, "2025-03-20"))).toBe("-30.00");
    expect(formatCents(balanceAt(entries, "2025-04-01"))).toBe("50.00");
    expect(formatCents(balanceAt(entries, "2025-04-30"))).toBe("-40.00");
  });

  it("R3 payments go to the oldest open items first; a surplus is left unallocated as a credit", () => {
    const a = allocate(entries, "2025-04-30");
    expect(a.items.map((i) => [i.entry.ref, i.open, i.settledOn, i.allocations.map((x) => `${x.sourceRef} ${x.amount}`)])).toEqual([
      ["invoice:A", "0.00", "2025-03-20", ["payment:P1 100.00"]],
      ["invoice:B", "0.00", "2025-04-25", ["payment:P1 30.00", "payment:P2 50.00"]],
    ]);
    expect(a.unallocated).toBe("40.00");
    expect(a.balance).toBe("-40.00");
  });

  it("R10 overdue items: due before the date and still owed, with what is left", () => {
    const e = [inv("A", "2025-03-01", "100.00"), inv("B", "2025-04-01", "80.00"), pay("P1", "2025-03-20", "60.00")];
    expect(overdueItems(e, "2025-03-16")).toEqual([]); // A due 03-16: not yet overdue that day
    expect(overdueItems(e, "2025-03-17").map((i) => [i.entry.ref, i.open])).toEqual([["invoice:A", "100.00"]]);
    expect(overdueItems(e, "2025-04-17").map((i) => [i.entry.ref, i.open])).toEqual([["invoice:A", "40.00"], ["invoice:B", "80.00"]]);
  });

  it("R4 a credit entry (a true-up's credit) settles the next items like a payment", () => {
    const e = [{ kind: "invoice", ref: "invoice:T", date: "2025-09-01", dueDate: "2025-09-16", amount: "-20.00", label: "true-up" } as LedgerEntry, inv("C", "2025-10-01", "50.00")];
    const a = allocate(e, "2025-10-31");
    expect(a.items.map((i) => [i.entry.ref, i.open])).toEqual([["invoice:C", "30.00"]]);
    expect(a.balance).toBe("30.00");
  });
});

// Property ---------------------------------------------------------------------------------------------

const cents = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => formatCents(div(dec(n), dec(100))));
const day = fc.integer({ min: 0, max: 200 }).map((d) => addDays("2025-01-01", d));
const arbEntries = fc
  .record({
    debits: fc.array(fc.record({ kind: fc.constantFrom("invoice", "instalment", "latePaymentPenalty", "recoveryIndemnity", "refund" as const), date: day, amount: cents(1, 500_000) }), { maxLength: 12 }),
    payments: fc.array(fc.record({ date: day, amount: cents(1, 500_000) }), { maxLength: 12 }),
  })
  .map(({ debits, payments }): LedgerEntry[] => [
    ...debits.map((d, i) => ({ kind: d.kind, ref: `${d.kind}:${i}`, date: d.date, dueDate: addDays(d.date, 15), amount: d.amount, label: "" })),
    ...payments.map((p, i) => ({ kind: "payment" as const, ref: `payment:${i}`, date: p.date, amount: `-${p.amount}`, label: "" })),
  ]);

describe("credit notes cancel the invoice they name (CGV 6.6, R3, R10)", () => {
  // X unpaid (due 02-16); A (due 03-16) partly paid on 03-10; on 03-25 credit note AV1 cancels A and A2 replaces it (due 04-09); P2 pays the rest on 04-05.
  const av = (ref: string, date: string, amount: string, cancels: string): LedgerEntry => ({ kind: "invoice", ref: `invoice:${ref}`, date, amount: `-${amount}`, cancels: `invoice:${cancels}`, label: ref });
  const e = [inv("X", "2025-02-01", "50.00"), inv("A", "2025-03-01", "100.00"), pay("P1", "2025-03-10", "30.00"), av("AV1", "2025-03-25", "100.00", "A"), inv("A2", "2025-03-25", "80.00"), pay("P2", "2025-04-05", "100.00")];

  it("CGV 6.6 the credit note goes to its invoice first, as a cancellation; the money moves on to the oldest open items", () => {
    const a = allocate(e, "2025-04-30");
    expect(a.items.map((i) => [i.entry.ref, i.open, i.cancelled, i.settledOn, i.allocations.map((x) => `${x.sourceRef} ${x.amount}${x.cancellation ? " (cancels)" : ""}`)])).toEqual([
      ["invoice:X", "0.00", "0.00", "2025-04-05", ["payment:P1 30.00", "payment:P2 20.00"]],
      ["invoice:A", "0.00", "100.00", "2025-03-01", ["invoice:AV1 100.00 (cancels)"]],
      ["invoice:A2", "0.00", "0.00", "2025-04-05", ["payment:P2 80.00"]],
    ]);
    expect([a.unallocated, a.balance]).toEqual(["0.00", "0.00"]);
  });

  it("R3 the cancelled invoice was never owed: nothing of it counts for a penalty, and the old unpaid one still does", () => {
    const [x, a] = allocate(e, "2025-04-30").items;
    expect(owedPart(a!)).toEqual({ amount: "0.00", receipts: [] });
    expect(owedPart(x!)).toEqual({ amount: "50.00", receipts: [{ date: "2025-03-10", amount: "30.00" }, { date: "2025-04-05", amount: "20.00" }] });
    expect(formatCents(owedAtStartOf({ amount: dec("100.00"), allocations: allocate(e, "2025-04-30").items[1]!.allocations }, "2025-03-02"))).toBe("0.00");
  });

  it("R10 after the credit note only X is overdue, never the cancelled invoice (FIFO would have left A overdue and settled X)", () => {
    expect(overdueItems(e, "2025-03-30").map((i) => [i.entry.ref, i.open])).toEqual([["invoice:X", "20.00"]]);
    expect(overdueItems(e, "2025-03-20").map((i) => [i.entry.ref, i.open])).toEqual([["invoice:X", "20.00"], ["invoice:A", "100.00"]]);
  });
});

describe("customer account properties (fast-check)", () => {
  it("R3 the balance equals invoices + instalments + penalties + indemnities + refunds paid − payments, whatever the order; allocation conserves money", () => {
    fc.assert(
      fc.property(arbEntries.chain((es) => fc.tuple(fc.constant(es), fc.shuffledSubarray(es, { minLength: es.length, maxLength: es.length }))), day, ([entries, shuffled], asOf) => {
        const t = totalsByKind(shuffled, asOf);
        const expected = sub(
          sum([t.invoice, t.instalment, t.latePaymentPenalty, t.recoveryIndemnity, t.refund].map((x) => dec(x))),
          neg(dec(t.payment)),
        );
        const balance = balanceAt(shuffled, asOf);
        expect(formatCents(balance)).toBe(formatCents(expected));
        const a = allocate(shuffled, asOf);
        const b = allocate(entries, asOf);
        expect(a).toEqual(b); // the order entries are given in changes nothing
        const open = a.items.reduce((s, i) => add(s, dec(i.open)), ZERO);
        expect(formatCents(sub(open, dec(a.unallocated)))).toBe(a.balance);
      }),
      { numRuns: 300 },
    );
  });

  it("R3 re-reading the same payments (an import run twice adds nothing) leaves the account unchanged", () => {
    fc.assert(
      fc.property(arbEntries, day, (entries, asOf) => {
        const byRef = new Map(entries.map((e) => [e.ref, e]));
        const again = [...byRef.values(), ...entries.filter((e) => e.kind === "payment")];
        const deduped = [...new Map(again.map((e) => [e.ref, e])).values()];
        expect(allocate(deduped, asOf)).toEqual(allocate(entries, asOf));
      }),
      { numRuns: 100 },
    );
  });
});
