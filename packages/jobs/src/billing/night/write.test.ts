/**
 * The night and events (docs/contract-life.md): `asOfNow` judges a computed contract against the
 * contract as the write finds it under its row lock.
 */
import { describe, expect, it } from "vitest";
import type { ContractRow } from "@billing/db";
import { asOfNow } from "./write.ts";
import { type ContractResult, NO_SMOOTHED } from "./types.ts";

const row: ContractRow = {
  id: "K1", customer_id: "C1", delivery_point: "97000000000001", offer_id: "O", subscribed_kva: 6, price_option: "BASE",
  tariff_formula: "BTINFCUST", billing_mode: "monthly", billing_day: 1, communicating_meter: true, start_date: "2025-04-01",
  end_date: null, invoice_series: "FA", next_billing_date: "2025-07-01", declared_annual_kwh: { BASE: "3000" },
  switch_to_monthly_on: null, last_correction_id: null, created_at: new Date("2025-03-01T10:00:00Z"),
};
const billed: ContractResult = {
  contract: row, invoices: [], next: "2025-08-01", lines: 9, smoothed: NO_SMOOTHED, eventsSeen: 1,
  outcome: { contractId: "K1", outcome: "billed", invoices: 1 },
};
const now = (change: Partial<ContractRow>, events = 1) => ({ row: { ...row, declared_annual_kwh: { BASE: "3000" }, created_at: new Date(row.created_at), ...change }, events });

describe("a computed contract judged against the store under its row lock", () => {
  it("unchanged (equal values, fresh objects): written as computed", () => {
    expect(asOfNow(billed, now({}))).toBe(billed);
  });

  it("a correction committed meanwhile (billing recalc): failed with the reason, nothing issued, its next billing date kept", () => {
    const p = asOfNow(billed, now({ last_correction_id: "7" }));
    expect(p).toMatchObject({ invoices: [], lines: 0, keepNext: true, outcome: { outcome: "failed" } });
    expect(p.outcome.reason).toBe("contract K1 was corrected while the night billed it (correction 7, billing recalc); nothing issued tonight, the next run bills it from the corrected invoices");
  });

  it("an event recorded meanwhile: failed with the reason, nothing issued, its next billing date left to the event", () => {
    const p = asOfNow(billed, now({}, 2));
    expect(p).toMatchObject({ invoices: [], lines: 0, keepNext: true, outcome: { outcome: "failed" } });
    expect(p.outcome.reason).toBe("contract K1 changed while the night billed it: 1 event(s) recorded meanwhile (billing contracts event); nothing issued tonight, the next run bills it with them");
  });

  it("its row changed otherwise: failed, naming the columns", () => {
    expect(asOfNow(billed, now({ end_date: "2025-07-15", next_billing_date: "2025-07-01" })).outcome)
      .toEqual({ contractId: "K1", outcome: "failed", reason: "contract K1 changed while the night billed it (end_date); nothing issued tonight, the next run bills it as it is now" });
    expect(asOfNow(billed, now({ declared_annual_kwh: { BASE: "4000" } })).outcome.reason).toMatch(/\(declared_annual_kwh\)/);
  });

  it("only what a night moves changed: already issued by another run (not a failure)", () => {
    expect(asOfNow(billed, now({ next_billing_date: "2025-08-01" })).outcome).toEqual({ contractId: "K1", outcome: "unchanged", reason: "already issued by another run" });
    expect(asOfNow(billed, now({ next_billing_date: "2025-08-01", billing_mode: "monthly", switch_to_monthly_on: null })).outcome.outcome).toBe("unchanged");
  });

  it("a contract already failed keeps its own reason; one removed meanwhile is failed", () => {
    const failed: ContractResult = { ...billed, outcome: { contractId: "K1", outcome: "failed", reason: "NO_INDEX" } };
    expect(asOfNow(failed, now({}, 3))).toBe(failed);
    expect(asOfNow(billed, undefined).outcome.reason).toBe("contract K1 was removed while the night billed it: nothing issued");
  });
});
