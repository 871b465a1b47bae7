import { describe, expect, it } from "vitest";
import { dueInvoices } from "../invoice/monthly-invoice.ts";
import type { Invoice } from "../invoice/document.ts";
import { exampleCase, teleRead } from "../testing/example-case.ts";

// The example contract: 6 kVA BASE, subscription 8.00 supply + 4.50 network = 12.50 €/month HT,
// CTA 21.93 % of the 4.50 network part, kWh 0.1370 + 0.04 = 0.1770, excise 33.70 €/MWh, VAT 20 % on
// everything from 2025-08-01.
const lines = (i: Invoice) => i.lines.map((l) => [l.kind, `${l.periodStart}..${l.periodEnd}`, l.amount]);
const totals = (i: Invoice) => [i.totalHt, i.totalVat, i.totalTtc];
const ok = (out: ReturnType<typeof dueInvoices>) => {
  if (!out.ok) throw new Error(`${out.failure.code}: ${out.failure.message}`);
  return out;
};

describe("R8 · CGV 3.6 withdrawal after an early start at the customer's request", () => {
  // Concluded 2025-09-01, supply started 2025-09-05 at the customer's express request (billing day 5);
  // the first invoice (2025-09-05) billed the subscription in advance [09-05, 10-05):
  //   12.50 × 26/30 = 10.83, CTA 4.50 × 26/30 × 21.93 % = 0.86; 12.50 × 4/31 = 1.61, CTA 0.13.
  // Withdrawal notified 2025-09-12 (deadline 2025-09-16): owed up to the notice.
  const withdrawn = (asOf: string, reads = [teleRead("2025-09-05", { BASE: "1000" }), teleRead("2025-09-12", { BASE: "1070" })]) =>
    exampleCase({
      asOf,
      contract: { start: "2025-09-05", billingDay: 5, end: "2025-09-12" },
      reads,
      events: [{ type: "contractEnd", date: "2025-09-12", reason: "withdrawal", receivedOn: "2025-09-12", requestedBy: "customer" }],
      billing: { lastBillingDate: "2025-09-05", lastIssueDate: "2025-09-05" },
    });

  it("R8 the final invoice bills the energy up to the notice and credits the subscription after it: HT 4.46, VAT 0.89, TTC 5.35", () => {
    // energy [09-05, 09-12) 70 kWh × 0.1770 = 12.39; excise 70 × 0.03370 = 2.359 → 2.36;
    // credit [09-12, 10-01) 12.50 × 19/30 = 7.9167 → −7.92, CTA 4.50 × 19/30 × 21.93 % = 0.625005 → −0.63;
    // credit [10-01, 10-05) 12.50 × 4/31 → −1.61, CTA → −0.13. HT 4.46; VAT 20 % 0.892 → 0.89; TTC 5.35.
    const out = ok(dueInvoices(withdrawn("2025-09-12")));
    expect(out.nextBillingDate).toBeNull();
    expect(out.waiting).toBeUndefined();
    const [final] = out.invoices;
    expect(final!.billingDate).toBe("2025-09-12");
    expect(final!.subscriptionPeriod).toBeNull();
    expect(lines(final!)).toEqual([
      ["subscription", "2025-09-12..2025-10-01", "-7.92"],
      ["cta", "2025-09-12..2025-10-01", "-0.63"],
      ["subscription", "2025-10-01..2025-10-05", "-1.61"],
      ["cta", "2025-10-01..2025-10-05", "-0.13"],
      ["energy", "2025-09-05..2025-09-12", "12.39"],
      ["excise", "2025-09-05..2025-09-12", "2.36"],
    ]);
    expect(totals(final!)).toEqual(["4.46", "0.89", "5.35"]);
    expect(final!.lines[0]!.rule).toMatch(/^R8 · CGV 10\.3/);
    expect(final!.final).toMatchObject({ end: "2025-09-12", reason: "withdrawal", requestedBy: "customer" });
    expect(final!.consumption).toMatchObject({ source: "teleRead", rule: expect.stringMatching(/^R8 · CGV 10\.3/) });
  });

  it("R8 without the tele-read of the notice day the final invoice waits (7 days), then estimates by R8's order", () => {
    const early = ok(dueInvoices(withdrawn("2025-09-15", [teleRead("2025-09-05", { BASE: "1000" })])));
    expect(early).toMatchObject({ invoices: [], nextBillingDate: "2025-09-12" });
    // Reported waiting, with why — not "nothing due" (the night's outcome, billing simulate).
    expect(early.waiting).toBe(
      "the final invoice of the contract's end on 2025-09-12 waits for the distributor's tele-read of that date (R8 · CGV 10.3); without it, it is issued on the distributor's estimate from 2025-09-19",
    );
    const late = dueInvoices(withdrawn("2025-09-19", [teleRead("2025-09-05", { BASE: "1000" })]));
    // No history, no peer average: R8 (4) cannot estimate either — the failure lists every source.
    expect(late).toMatchObject({ ok: false, failure: { code: "NO_ESTIMATE" } });
    expect(late.ok ? "" : late.failure.message).toMatch(/connectedStation: not a source of a final index/);
  });
});

describe("R8 · CGV 10.1, 10.3 termination: final invoice", () => {
  // Billed monthly on the 15th; the invoice of 2026-01-15 billed the subscription [01-15, 02-15).
  // A switch to a new supplier received on 2026-01-20 ends the contract on 2026-02-03.
  const reads = [teleRead("2026-01-15", { BASE: "5000" }), teleRead("2026-02-03", { BASE: "5190" })];
  const switched = (over: { receivedOn: string; knownOn?: string; lastIssueDate?: string }) =>
    exampleCase({
      asOf: "2026-02-03",
      contract: { start: "2025-01-15", end: "2026-02-03" },
      reads,
      events: [{
        type: "contractEnd", date: "2026-02-03", reason: "supplierSwitch", receivedOn: over.receivedOn, requestedBy: "newSupplier",
        ...(over.knownOn !== undefined ? { knownOn: over.knownOn } : {}),
      }],
      billing: { lastBillingDate: "2026-01-15", lastIssueDate: over.lastIssueDate ?? "2026-01-15" },
    });

  it("R8 a switch received after the last invoice: the final invoice credits the subscription billed beyond the end (12 days of February) — TTC 41.10", () => {
    // energy [01-15, 02-03) 190 kWh × 0.1770 = 33.63; excise 190 × 0.0337 = 6.403 → 6.40;
    // credit [02-03, 02-15) 12.50 × 12/28 = 5.357 → −5.36; CTA 4.50 × 12/28 × 21.93 % = 0.42293 → −0.42.
    // HT 34.25; VAT 6.85; TTC 41.10.
    const [final] = ok(dueInvoices(switched({ receivedOn: "2026-01-20" }))).invoices;
    expect(lines(final!)).toEqual([
      ["subscription", "2026-02-03..2026-02-15", "-5.36"],
      ["cta", "2026-02-03..2026-02-15", "-0.42"],
      ["energy", "2026-01-15..2026-02-03", "33.63"],
      ["excise", "2026-01-15..2026-02-03", "6.40"],
    ]);
    expect(totals(final!)).toEqual(["34.25", "6.85", "41.10"]);
  });

  it("R8 a switch known to the last invoice (received before it was issued): that invoice billed up to the end, nothing to credit", () => {
    const [final] = ok(dueInvoices(switched({ receivedOn: "2026-01-10" }))).invoices;
    expect(final!.lines.map((l) => l.kind)).toEqual(["energy", "excise"]);
    expect(totals(final!)).toEqual(["40.03", "8.01", "48.04"]);
  });

  it("R8 a switch received on the last invoice's issue date but recorded after it (knownOn the next day): credited as if received after — TTC 41.10", () => {
    const [final] = ok(dueInvoices(switched({ receivedOn: "2026-01-15", knownOn: "2026-01-16" }))).invoices;
    expect(lines(final!).slice(0, 2)).toEqual([
      ["subscription", "2026-02-03..2026-02-15", "-5.36"],
      ["cta", "2026-02-03..2026-02-15", "-0.42"],
    ]);
    expect(totals(final!)).toEqual(["34.25", "6.85", "41.10"]);
    // Received and known on the issue date: known to that invoice, nothing to credit.
    expect(totals(ok(dueInvoices(switched({ receivedOn: "2026-01-15" }))).invoices[0]!)).toEqual(["40.03", "8.01", "48.04"]);
  });

  it("R8 a self-read of the end date passes R2's checks and is the final index of a non-communicating meter; a special read asked wins over it", () => {
    const c = (specialRead: boolean, withSpecial: boolean) =>
      exampleCase({
        asOf: "2026-02-04",
        contract: { start: "2025-01-15", end: "2026-02-03", communicatingMeter: false },
        reads: [
          { date: "2026-01-15", source: "distributorActual", registers: { BASE: "5000" } },
          { date: "2026-02-03", source: "selfRead", registers: { BASE: "5185" }, receivedOn: "2026-02-04" },
          ...(withSpecial ? [{ date: "2026-02-03", source: "distributorActual" as const, registers: { BASE: "5190" }, receivedOn: "2026-02-04" }] : []),
        ],
        events: [{ type: "contractEnd", date: "2026-02-03", reason: "termination", receivedOn: "2026-01-10", requestedBy: "customer", specialRead }],
        billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
      });
    const self = ok(dueInvoices(c(false, false))).invoices[0]!;
    expect(self.consumption).toMatchObject({ source: "selfRead", notUsed: [{ source: "teleRead" }, { source: "distributorActual" }] });
    expect(self.indexes.at(-1)).toMatchObject({ date: "2026-02-03", index: "5185" });
    const special = ok(dueInvoices(c(true, true))).invoices[0]!;
    expect(special.consumption).toMatchObject({ source: "distributorActual" });
    expect(special.consumption!.explanation).toMatch(/special read of 2026-02-03 asked by the customer/);
  });
});

describe("R8 · CGV 4 power change", () => {
  // 6 → 9 kVA on 2026-02-01 (received 2026-01-20, after the invoice of 2026-01-15 billed [01-15, 02-15) at 6 kVA).
  // Offer: 8.00 (6 kVA) / 10.00 (9 kVA) supply; the TURPE fixed part is 4.50 for any kVA in the example.
  const offer = {
    id: "O1", name: "Test offer", capacity: "included" as const,
    subscription: [
      { from: "2020-01-01", priceOption: "BASE" as const, kva: 6, monthlyHt: "8.00" },
      { from: "2020-01-01", priceOption: "BASE" as const, kva: 9, monthlyHt: "10.00" },
      { from: "2020-01-01", priceOption: "BASE" as const, kva: 3, monthlyHt: "7.00" },
    ],
    energy: [{ from: "2020-01-01", priceOption: "BASE" as const, register: "BASE" as const, priceHt: "0.1370" }],
  };
  const fee = { item: "powerChangeRemote", amountHt: "3.51", source: "test catalogue" };
  const changed = (events: unknown[]) =>
    exampleCase({
      asOf: "2026-02-15",
      contract: { start: "2025-01-15" },
      offer,
      reads: [teleRead("2026-01-15", { BASE: "5000" }), teleRead("2026-02-15", { BASE: "5300" })],
      events: events as never,
      billing: { lastBillingDate: "2026-01-15", lastIssueDate: "2026-01-15" },
    });

  it("R8 the next invoice re-prices [02-01, 02-15) at 9 kVA (R1 split at the change date) and re-bills the distributor's fee", () => {
    // credit 6 kVA [02-01, 02-15): 12.50 × 14/28 = −6.25, CTA 4.50 × 14/28 × 21.93 % = 0.493425 → −0.49;
    // re-bill 9 kVA: 14.50 × 14/28 = 7.25, CTA 0.49; then the subscription [02-15, 03-01) 14.50 × 14/28 = 7.25,
    // CTA 0.49, [03-01, 03-15) 14.50 × 14/31 = 6.548 → 6.55, CTA 4.50 × 14/31 × 21.93 % = 0.44569 → 0.45;
    // energy 300 kWh × 0.1770 = 53.10, excise 10.11; fee 3.51.
    const [inv] = ok(dueInvoices(changed([{ type: "powerChange", date: "2026-02-01", subscribedKva: 9, receivedOn: "2026-01-20", requestedBy: "customer", fee }]))).invoices;
    expect(lines(inv!)).toEqual([
      ["subscription", "2026-02-15..2026-03-01", "7.25"],
      ["cta", "2026-02-15..2026-03-01", "0.49"],
      ["subscription", "2026-03-01..2026-03-15", "6.55"],
      ["cta", "2026-03-01..2026-03-15", "0.45"],
      ["subscription", "2026-02-01..2026-02-15", "-6.25"],
      ["cta", "2026-02-01..2026-02-15", "-0.49"],
      ["subscription", "2026-02-01..2026-02-15", "7.25"],
      ["cta", "2026-02-01..2026-02-15", "0.49"],
      ["energy", "2026-01-15..2026-02-15", "53.10"],
      ["excise", "2026-01-15..2026-02-15", "10.11"],
      ["distributorService", "2026-02-01..2026-02-02", "3.51"],
    ]);
    expect(totals(inv!)).toEqual(["82.46", "16.49", "98.95"]);
    expect(inv!.lines.at(-1)).toMatchObject({ vatRate: "20", rule: expect.stringMatching(/^R8 · CGV 4/), inputs: { item: "powerChangeRemote", fromKva: "6", toKva: "9" } });
  });

  it("R8 a change known before the last invoice needs no re-pricing: only the fee", () => {
    const [inv] = ok(dueInvoices(changed([{ type: "powerChange", date: "2026-02-01", subscribedKva: 9, receivedOn: "2026-01-10", fee }]))).invoices;
    expect(inv!.lines.filter((l) => l.inputs["adjustment"] !== undefined)).toHaveLength(0);
    expect(inv!.lines.filter((l) => l.kind === "distributorService").map((l) => l.amount)).toEqual(["3.51"]);
  });

  it("R8 a decrease less than a year after an increase passes the annual-character charge through; without its amount the invoice fails loudly", () => {
    const earlier = { type: "powerChange", date: "2025-06-01", subscribedKva: 9, receivedOn: "2025-05-20" };
    const back = { type: "powerChange", date: "2026-02-01", subscribedKva: 6, receivedOn: "2026-01-10", fee, annualChargeHt: "12.40" };
    const [inv] = ok(dueInvoices(changed([earlier, back]))).invoices;
    expect(inv!.lines.filter((l) => l.kind === "distributorService").map((l) => [l.amount, l.inputs["item"]])).toEqual([["3.51", "powerChangeRemote"], ["12.40", "powerAnnualCharacter"]]);
    const { annualChargeHt: _, ...without } = back;
    expect(dueInvoices(changed([earlier, without]))).toMatchObject({ ok: false, failure: { code: "MISSING_REFERENCE" } });
    // A year or more after the increase: no charge.
    const [later] = ok(dueInvoices(changed([{ ...earlier, date: "2025-02-01" }, without]))).invoices;
    expect(later!.lines.filter((l) => l.kind === "distributorService")).toHaveLength(1);
  });
});
