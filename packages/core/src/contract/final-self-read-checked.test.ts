/**
 * R8 · CGV 10.3 (ruleset `checkedFinalSelfRead`, engine 0.3.3+): the customer's self-read of the end
 * date is a final index « subject to R2's checks »; one the checks reject does not end the final
 * invoice's wait for the distributor's index of that date (found by the 2026-12-05 audit).
 *
 * Linky, billed on the 15th, switch on 2026-02-03 (known). Tele-reads: 2025-01-15 2000, 2025-02-15 2620,
 * 2026-01-15 5000. The tele-read of 2026-02-03 (5190) reaches the supplier on 02-04; the customer also
 * sends a self-read of 02-03: 4990, below the last distributor index (rejected by R2).
 * Example contract: kWh 0.1370 + 0.04 = 0.1770 HT, excise 33.70 €/MWh.
 */
import { describe, expect, it } from "vitest";
import type { Invoice } from "../invoice/document.ts";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";

const ok = (o: ReturnType<typeof dueInvoices>) => {
  if (!o.ok) throw new Error(`${o.failure.code}: ${o.failure.message}`);
  return o;
};
const energy = (inv: Invoice) => inv.lines.filter((l) => l.kind === "energy" || l.kind === "excise").map((l) => [l.kind, l.amount]);
const c = (asOf: string, reads: unknown[]) =>
  exampleCase({
    asOf,
    contract: { start: "2025-01-15", end: "2026-02-03", communicatingMeter: true },
    reads: [teleRead("2025-01-15", { BASE: "2000" }), teleRead("2025-02-15", { BASE: "2620" }), teleRead("2026-01-15", { BASE: "5000" }), ...reads] as never,
    events: [{ type: "contractEnd", date: "2026-02-03", reason: "supplierSwitch", receivedOn: "2026-01-10", requestedBy: "newSupplier" }],
    billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
  });
const tele = { ...teleRead("2026-02-03", { BASE: "5190" }), receivedOn: "2026-02-04" };
const badSelf = { date: "2026-02-03", source: "selfRead" as const, registers: { BASE: "4990" }, receivedOn: "2026-02-03" };
const goodSelf = { date: "2026-02-03", source: "selfRead" as const, registers: { BASE: "5185" }, receivedOn: "2026-02-03" };

describe("R8 · CGV 10.3 — a rejected final self-read does not end the wait", () => {
  it("02-03: the rejected self-read is known, the night waits; 02-04: the tele-read — 190 kWh, 33.63 + 6.40", () => {
    expect(ok(dueInvoices(c("2026-02-03", [badSelf]))).invoices).toEqual([]);
    // Reported waiting, with why (not "nothing due"): a Linky waits for its tele-read; without one, the
    // rejected self-read is said.
    expect(ok(dueInvoices(c("2026-02-03", [badSelf]))).waiting).toBe(
      "the final invoice of the contract's end on 2026-02-03 waits for the distributor's tele-read of that date (R8 · CGV 10.3); without it, it is issued on the distributor's estimate from 2026-02-10",
    );
    const old = c("2026-02-03", [badSelf]);
    expect(ok(dueInvoices({ ...old, contract: { ...old.contract, communicatingMeter: false } }))).toMatchObject({
      invoices: [],
      waiting: "the final invoice of the contract's end on 2026-02-03 waits for the distributor's index of that date (R8 · CGV 10.3): the customer's self-read of that date does not pass R2's checks; without it, it is issued on the distributor's estimate from 2026-02-10",
    });
    const [fin] = ok(dueInvoices(c("2026-02-04", [badSelf, tele]))).invoices;
    // 190 kWh × 0.1770 = 33.63; excise 190 × 0.0337 = 6.403 → 6.40
    expect(fin!.consumption!.source).toBe("teleRead");
    expect(energy(fin!)).toEqual([["energy", "33.63"], ["excise", "6.40"]]);
  });

  it("no index by the end of the wait (02-10): the estimate, with the rejected self-read and why — 620 × 19/31 = 380 kWh, 67.26 + 12.81", () => {
    expect(ok(dueInvoices(c("2026-02-09", [badSelf]))).invoices).toEqual([]);
    const [fin] = ok(dueInvoices(c("2026-02-10", [badSelf]))).invoices;
    expect(fin!.consumption!.source).toBe("history");
    expect(fin!.consumption!.notUsed.map((n) => n.source)).toContain("selfRead");
    expect(energy(fin!)).toEqual([["energy", "67.26"], ["excise", "12.81"]]);
  });

  it("engine 0.3.3: a self-read the checks accept ended a Linky's wait at once — 185 kWh, 32.75 + 6.23 (0.3.4 waits for the tele-read: final-index-by-option.test.ts)", () => {
    const [fin] = ok(dueInvoices(c("2026-02-03", [goodSelf]), { engineVersion: "0.3.3" })).invoices;
    // 5185 − 5000 = 185 kWh × 0.1770 = 32.745 → 32.75; excise 185 × 0.0337 = 6.2345 → 6.23
    expect(fin!.consumption!.source).toBe("selfRead");
    expect(energy(fin!)).toEqual([["energy", "32.75"], ["excise", "6.23"]]);
  });

  it("engine 0.3.2 (ruleset checkedFinalSelfRead false): the rejected self-read ended the wait, the estimate on 02-03 — replayed as issued", () => {
    const [fin] = ok(dueInvoices(c("2026-02-03", [badSelf]), { engineVersion: "0.3.2" })).invoices;
    expect(fin!.consumption!.source).toBe("history");
    expect(energy(fin!)).toEqual([["energy", "67.26"], ["excise", "12.81"]]);
  });
});
