/**
 * R3 · CGV 6.4 with returned payments (returned-payment.ts) and the penalty following the payments known
 * (penalty-correction.ts), pure. Rates of RULES.md examples B/B2: "other cases" 3.71 % to 2025-06-30, 2.76 % from
 * 2025-07-01 (1.5 × = 5.565 and 4.14).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays } from "../primitives/dates.ts";
import { ZERO, dec, div, formatCents, mul, sub, sum } from "../primitives/money.ts";
import { type LedgerEntry, allocate, balanceAt, owedPart, overdueItems } from "./ledger.ts";
import { latePaymentCharges } from "./late-payment-penalty.ts";
import { paymentReturnRefusal, refundAfterReturn } from "./returned-payment.ts";
import { penaltyCorrections } from "./penalty-correction.ts";
import { rulesetFor } from "../ruleset.ts";

const rates = [
  { from: "2025-01-01", to: "2025-07-01", consumerPct: "7.21", otherPct: "3.71", source: "test" },
  { from: "2025-07-01", to: "2026-01-01", consumerPct: "6.65", otherPct: "2.76", source: "test" },
];
const inv: LedgerEntry = { kind: "invoice", ref: "invoice:FA-1", date: "2025-06-01", dueDate: "2025-06-16", amount: "1800.00", label: "invoice FA-1" };
const pay = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "payment", ref: `payment:${ref}`, date, amount: `-${amount}`, label: ref });
const ret = (ref: string, of: string, date: string, amount: string): LedgerEntry => ({ kind: "paymentReturn", ref: `return:${ref}`, date, amount, returns: `payment:${of}`, label: ref });

const penalty = (entries: LedgerEntry[], asOf: string) => {
  const it = allocate(entries, asOf).items.find((i) => i.entry.ref === "invoice:FA-1")!;
  if (it.settledOn === null) return null;
  const owed = owedPart(it);
  return latePaymentCharges({ itemRef: it.entry.ref, itemLabel: "FA-1", amount: owed.amount, dueDate: it.dueDate, settledOn: it.settledOn, receipts: owed.receipts, customerKind: "residential", rates })[0]?.amount ?? "0.00";
};

describe("R3 a returned payment was not received (ledger.ts allocate)", () => {
  const entries = [inv, pay("P1", "2025-06-26", "1000.00"), pay("P2", "2025-08-30", "800.00"), ret("R2", "P2", "2025-09-03", "800.00")];

  it("R3 before the return day the invoice is settled on 08-30 (example B2: 8.77); from it, 800.00 is owed again, overdue since the due date", () => {
    expect(penalty(entries, "2025-09-02")).toBe("8.77");
    const after = allocate(entries, "2025-09-03");
    expect(after.items.map((i) => [i.entry.ref, i.open, i.settledOn])).toEqual([["invoice:FA-1", "800.00", null]]);
    // The balance shows the money in, then out: 1800 − 1000 − 800 + 800 = 800.00; nothing unallocated.
    expect([after.balance, after.unallocated, balanceAt(entries, "2025-09-03").toFixed(2)]).toEqual(["800.00", "0.00", "800.00"]);
    expect(overdueItems(entries, "2025-09-03").map((i) => [i.dueDate, i.open])).toEqual([["2025-06-16", "800.00"]]);
  });

  it("R3 paid again on 09-12: the late days run 06-17 … 09-12 with the 800.00 owed from 06-27 → 9.95", () => {
    // 1800 × 5.565 × 10 + 800 × 5.565 × 4 + 800 × 4.14 × 74 = 100,170 + 17,808 + 245,088 = 363,066 ÷ 36,500 = 9.9470 → 9.95.
    expect(penalty([...entries, pay("P3", "2025-09-12", "800.00")], "2025-09-12")).toBe("9.95");
  });

  it("R3 a partial return counts the payment for what was not returned: 300.00 of the 800.00 back, 300.00 owed", () => {
    const partial = [inv, pay("P1", "2025-06-26", "1000.00"), pay("P2", "2025-08-30", "800.00"), ret("R2", "P2", "2025-09-03", "300.00")];
    expect(allocate(partial, "2025-09-03").items.map((i) => i.open)).toEqual(["300.00"]);
  });
});

describe("R3 the checks of a return (paymentReturnRefusal)", () => {
  const p = { reference: "DD-1", customerId: "C1", receivedOn: "2025-06-16", amount: "240.00" };
  const r = { reference: "RJ-1", paymentReference: "DD-1", returnedOn: "2025-06-20", amount: "240.00" };
  it("R3 refuses an unknown payment, more than it paid, a date before it, a second return; accepts its own re-import", () => {
    expect(paymentReturnRefusal(r, undefined, undefined)).toEqual({ field: "payment_reference", reason: "no payment DD-1 was imported" });
    expect(paymentReturnRefusal({ ...r, amount: "240.01" }, p, undefined)).toEqual({ field: "amount", reason: "240.01 is more than payment DD-1 paid (240.00)" });
    expect(paymentReturnRefusal({ ...r, returnedOn: "2025-06-15" }, p, undefined)).toEqual({ field: "returned_on", reason: "2025-06-15 is before payment DD-1 was received (2025-06-16)" });
    expect(paymentReturnRefusal({ ...r, reference: "RJ-2" }, p, { reference: "RJ-1", amount: "240.00", returnedOn: "2025-06-20" }))
      .toEqual({ field: "payment_reference", reason: "payment DD-1 was already returned (RJ-1, 240.00 on 2025-06-20)" });
    expect(paymentReturnRefusal(r, p, { reference: "RJ-1", amount: "240.00", returnedOn: "2025-06-20" })).toBeNull();
  });
});

describe("R4 a refund decided on a returned payment's credit (refundAfterReturn)", () => {
  it("R4 kept when the credit still covers it; cancelled otherwise, the credit left refunded again from 25.00 (any amount on a termination)", () => {
    expect(refundAfterReturn("100.00", { amount: "100.00", reason: "threshold" })).toEqual({ cancel: false });
    expect(refundAfterReturn("-60.00", { amount: "100.00", reason: "threshold" })).toEqual({ cancel: true, left: "0.00", refundAgain: false });
    expect(refundAfterReturn("40.00", { amount: "100.00", reason: "threshold" })).toEqual({ cancel: true, left: "40.00", refundAgain: true });
    expect(refundAfterReturn("24.99", { amount: "100.00", reason: "threshold" })).toEqual({ cancel: true, left: "24.99", refundAgain: false });
    expect(refundAfterReturn("3.00", { amount: "100.00", reason: "termination" })).toEqual({ cancel: true, left: "3.00", refundAgain: true });
  });
});

describe("R3 the penalty follows the payments known (penaltyCorrections)", () => {
  const base = { itemRef: "invoice:FA-1", itemLabel: "invoice FA-1", dueDate: "2025-06-16" } as const;
  it("R3 16.30 charged, 8.77 due with the cheque of 06-26 → −7.53; nothing when the figure is the same", () => {
    const due = latePaymentCharges({ ...base, amount: "1800.00", settledOn: "2025-08-30", receipts: [{ date: "2025-06-26", amount: "1000.00" }, { date: "2025-08-30", amount: "800.00" }], customerKind: "residential", rates });
    const [c] = penaltyCorrections({ ...base, settledOn: "2025-08-30", due, charged: { latePaymentPenalty: "16.30" } });
    expect([c!.kind, c!.amount, c!.inputs["charged"], c!.inputs["due"], c!.inputs["now.daysLate"]]).toEqual(["latePaymentPenalty", "-7.53", "16.30", "8.77", "75"]);
    expect(c!.explanation).toBe("Late-payment penalty on invoice FA-1 corrected with every payment on its receipt date: 16.30 € charged, 8.77 € due (settled 2025-08-30) — credited -7.53 €. No VAT.");
    expect(penaltyCorrections({ ...base, settledOn: "2025-08-30", due, charged: { latePaymentPenalty: "8.77" } })).toEqual([]);
  });

  it("R3 professional found paid on time: the penalty and the 40.00 indemnity are both credited", () => {
    const out = penaltyCorrections({ ...base, settledOn: "2025-06-10", due: [], charged: { latePaymentPenalty: "2.10", recoveryIndemnity: "40.00" } });
    expect(out.map((c) => [c.kind, c.amount])).toEqual([["latePaymentPenalty", "-2.10"], ["recoveryIndemnity", "-40.00"]]);
  });

  it("R3 the ruleset: penaltyFollowsPayments true from 0.3.5 (default), false for 0.3.4", () => {
    expect([rulesetFor().penaltyFollowsPayments, rulesetFor("0.3.5").penaltyFollowsPayments, rulesetFor("0.3.4").penaltyFollowsPayments]).toEqual([true, true, false]);
  });
});

describe("R3 returns keep the account whole (property)", () => {
  const cents = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => formatCents(div(dec(n), dec(100))));
  const day = fc.integer({ min: 0, max: 200 }).map((d) => addDays("2025-01-01", d));
  it("R3 Σ open − unallocated = balance, and a returned payment settles no more than it kept, whatever returns (≤ the payment, on or after it)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ date: day, amount: cents(1, 100_000) }), { maxLength: 8 }),
        fc.array(fc.record({ date: day, amount: cents(1, 100_000), back: fc.option(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 100 })), { nil: undefined }) }), { maxLength: 8 }),
        day,
        (invoices, payments, asOf) => {
          const entries: LedgerEntry[] = invoices.map((x, i) => ({ kind: "invoice", ref: `invoice:${i}`, date: x.date, dueDate: addDays(x.date, 15), amount: x.amount, label: "" }));
          payments.forEach((p, i) => {
            entries.push(pay(`P${i}`, p.date, p.amount));
            if (p.back) entries.push(ret(`R${i}`, `P${i}`, addDays(p.date, p.back[0]), formatCents(div(mul(dec(p.amount), dec(p.back[1])), dec(100)))));
          });
          const a = allocate(entries, asOf);
          expect(formatCents(sub(sum(a.items.map((i) => dec(i.open))), dec(a.unallocated)))).toBe(a.balance);
          for (const [i, p] of payments.entries()) {
            const given = sum(a.items.flatMap((it) => it.allocations.filter((x) => x.sourceRef === `payment:P${i}`).map((x) => dec(x.amount))));
            const returnedBy = p.back && addDays(p.date, p.back[0]) <= asOf ? div(mul(dec(p.amount), dec(p.back[1])), dec(100)) : ZERO;
            expect(given.lessThanOrEqualTo(sub(dec(p.amount), dec(formatCents(returnedBy))))).toBe(true);
          }
        },
      ),
    );
  });
});
