/**
 * R8 · CGV 10.3 (ruleset `finalIndexByOption`, engine 0.3.4+): the final index's options are
 * alternatives in order — (1) with a communicating meter the distributor's tele-read of the end date,
 * otherwise (2) a special read the customer paid for, (3) the customer's self-read of the end date,
 * (4) the distributor's estimate. During the final invoice's wait only the contract's own option ends it
 * early: a self-read sent first waits for the index that ranks above it, and is the final index only if
 * that index has not come when the wait (7 days) is over.
 *
 * Contract billed on the 15th, switch on 2026-02-03 (known). Indexes: 2025-01-15 2000, 2025-02-15 2620,
 * 2026-01-15 5000. The distributor's index of 2026-02-03 (5190) reaches the supplier on 02-04; the
 * customer's self-read of 02-03 (5185) on 02-03 — it passes R2's checks (185 kWh against 620 × 19/31 =
 * 380 expected from history). Example contract: kWh 0.1370 + 0.04 = 0.1770 HT, excise 33.70 €/MWh.
 *   distributor's index: 190 kWh × 0.1770 = 33.63; excise 190 × 0.0337 = 6.403 → 6.40
 *   self-read:           185 kWh × 0.1770 = 32.745 → 32.75; excise 185 × 0.0337 = 6.2345 → 6.23
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
const distributorRead = (date: string, index: string, receivedOn?: string) => ({ date, source: "distributorActual" as const, registers: { BASE: index }, ...(receivedOn ? { receivedOn } : {}) });

function contract(asOf: string, meter: "linky" | "other", reads: unknown[], specialRead = false) {
  const linky = meter === "linky";
  const read = (date: string, index: string) => (linky ? teleRead(date, { BASE: index }) : distributorRead(date, index));
  return exampleCase({
    asOf,
    contract: { start: "2025-01-15", end: "2026-02-03", communicatingMeter: linky },
    reads: [read("2025-01-15", "2000"), read("2025-02-15", "2620"), read("2026-01-15", "5000"), ...reads] as never,
    events: [{ type: "contractEnd", date: "2026-02-03", reason: "supplierSwitch", receivedOn: "2026-01-10", requestedBy: "newSupplier", ...(specialRead ? { specialRead: true } : {}) }],
    billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
  });
}
const selfRead = { date: "2026-02-03", source: "selfRead" as const, registers: { BASE: "5185" }, receivedOn: "2026-02-03" };
const tele = { ...teleRead("2026-02-03", { BASE: "5190" }), receivedOn: "2026-02-04" };
const special = distributorRead("2026-02-03", "5190", "2026-02-04");

describe("R8 · CGV 10.3 — only the contract's own final-index option ends the wait (engine 0.3.4)", () => {
  it("(1) communicating meter: the self-read of 02-03 does not end the wait; the tele-read of 02-04 is the final index — 190 kWh, 33.63 + 6.40", () => {
    expect(ok(dueInvoices(contract("2026-02-03", "linky", [selfRead]))).invoices).toEqual([]);
    const [fin] = ok(dueInvoices(contract("2026-02-04", "linky", [selfRead, tele]))).invoices;
    expect(fin!.consumption!.source).toBe("teleRead");
    expect(energy(fin!)).toEqual([["energy", "33.63"], ["excise", "6.40"]]);
  });

  it("(1) → (3) communicating meter, no tele-read by the end of the wait (02-10): the self-read — 185 kWh, 32.75 + 6.23, with why the tele-read was not used", () => {
    expect(ok(dueInvoices(contract("2026-02-09", "linky", [selfRead]))).invoices).toEqual([]);
    const [fin] = ok(dueInvoices(contract("2026-02-10", "linky", [selfRead]))).invoices;
    expect(fin!.consumption!.source).toBe("selfRead");
    expect(fin!.consumption!.notUsed.map((n) => n.source)).toContain("teleRead");
    expect(energy(fin!)).toEqual([["energy", "32.75"], ["excise", "6.23"]]);
  });

  it("(2) special read asked: the self-read does not end the wait; the distributor's index of 02-03, received 02-04, is the final index — 190 kWh", () => {
    expect(ok(dueInvoices(contract("2026-02-03", "other", [selfRead], true))).invoices).toEqual([]);
    const [fin] = ok(dueInvoices(contract("2026-02-04", "other", [selfRead, special], true))).invoices;
    expect(fin!.consumption!.source).toBe("distributorActual");
    expect(energy(fin!)).toEqual([["energy", "33.63"], ["excise", "6.40"]]);
  });

  it("(3) no communicating meter, no special read: the accepted self-read ends the wait at once — 185 kWh, 32.75 + 6.23", () => {
    const [fin] = ok(dueInvoices(contract("2026-02-03", "other", [selfRead]))).invoices;
    expect(fin!.consumption!.source).toBe("selfRead");
    expect(energy(fin!)).toEqual([["energy", "32.75"], ["excise", "6.23"]]);
  });

  it("engine 0.3.3 (finalIndexByOption false): the self-read ended a Linky's and a special read's wait at once — replayed as issued", () => {
    for (const [meter, specialRead] of [["linky", false], ["other", true]] as const) {
      const [fin] = ok(dueInvoices(contract("2026-02-03", meter, [selfRead], specialRead), { engineVersion: "0.3.3" })).invoices;
      expect(fin!.consumption!.source).toBe("selfRead");
      expect(energy(fin!)).toEqual([["energy", "32.75"], ["excise", "6.23"]]);
    }
  });
});
