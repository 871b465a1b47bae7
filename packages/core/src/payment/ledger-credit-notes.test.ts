/**
 * R3 · CGV 6.4 « montant TTC dû »: an invoice two credit notes each cancel in part owes what neither
 * cancelled (found by the 2026-12-05 audit: the second credit note's part replaced the first's).
 */
import { describe, expect, it } from "vitest";
import { type LedgerEntry, allocate, owedPart } from "./ledger.ts";

const inv = (ref: string, date: string, due: string, amount: string): LedgerEntry => ({ kind: "invoice", ref, date, dueDate: due, amount, label: ref });
const cn = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "invoice", ref, date, amount: `-${amount}`, cancels: "invoice:A", label: ref });
const pay = (ref: string, date: string, amount: string): LedgerEntry => ({ kind: "payment", ref, date, amount: `-${amount}`, label: ref });

describe("R3 ledger — partial credit notes on one invoice add up", () => {
  it("100,000 cancelled 30,000 then 20,000: 50,000 cancelled, 50,000 owed and paid on 03-31", () => {
    const e = [inv("invoice:A", "2025-02-14", "2025-03-01", "100000.00"), cn("invoice:CN1", "2025-03-05", "30000.00"), cn("invoice:CN2", "2025-03-06", "20000.00"), pay("payment:1", "2025-03-31", "50000.00")];
    const a = allocate(e, "2025-04-30").items.find((i) => i.entry.ref === "invoice:A")!;
    expect([a.open, a.cancelled, owedPart(a).amount, a.settledOn]).toEqual(["0.00", "50000.00", "50000.00", "2025-03-31"]);
  });
});
