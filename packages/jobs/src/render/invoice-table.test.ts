import { describe, expect, it } from "vitest";
import { type Invoice, dueInvoices, parseCase } from "@billing/core";
import exampleA from "../../../../docs/examples/example-a.json" with { type: "json" };
import { renderFailure, renderInvoice, roundDecimalForDisplay } from "./invoice-table.ts";

function invoiceOfExampleA(): Invoice {
  const parsed = parseCase(exampleA);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  const out = dueInvoices(parsed.value);
  if (!out.ok || out.invoices.length !== 1) throw new Error("example A should give exactly one invoice");
  return out.invoices[0]!;
}

describe("renderInvoice — R1 example A (invoice of 2025-08-15)", () => {
  const text = renderInvoice(invoiceOfExampleA(), { number: "FA-000042" });
  const lines = text.split("\n");

  it("shows the header: number, contract, delivery point, customer, dates and both periods", () => {
    expect(lines[0]).toBe("Monthly invoice FA-000042");
    for (const s of ["K1", "12345678901234", "C1", "2025-08-30"]) expect(text).toContain(s);
    expect(text).toMatch(/Billing date +2025-08-15/);
    expect(text).toMatch(/Issue date +2025-08-15/);
    expect(text).toMatch(/Due date +2025-08-30/);
    expect(text).toMatch(/Subscription +2025-08-15\.\.2025-09-15 \(in advance\)/);
    expect(text).toMatch(/Energy +2025-07-15\.\.2025-08-15 \(in arrears\)/);
  });

  it("lists the indexes used with their basis and source", () => {
    expect(text).toMatch(/BASE +2025-07-15 +1000 +read +teleRead/);
    expect(text).toMatch(/BASE +2025-08-15 +1310 +read +teleRead/);
  });

  it("shows subscription and CTA quantities as day fractions and energy in kWh, periods end-exclusive", () => {
    expect(text).toMatch(/1 +Subscription +2025-08-15\.\.2025-09-01 +17\/31 +12\.5 +20 % +6\.85$/m);
    expect(text).toMatch(/2 +CTA +2025-08-15\.\.2025-09-01 +17\/31 +\S+ +20 % +0\.54$/m);
    expect(text).toMatch(/3 +Subscription +2025-09-01\.\.2025-09-15 +14\/30 +12\.5 +20 % +5\.83$/m);
    expect(text).toMatch(/5 +Energy BASE +2025-07-15\.\.2025-08-01 +170 kWh +0\.177 +20 % +30\.09$/m);
    expect(text).toMatch(/8 +Excise BASE +2025-08-01\.\.2025-08-15 +140 kWh +0\.02998 +20 % +4\.20$/m);
  });

  it("puts each line's explanation and rule under it", () => {
    const i = lines.findIndex((l) => /^ +1 +Subscription/.test(l));
    expect(lines[i + 1]!.trim()).toBe(
      "Subscription 6 kVA BASE 2025-08-15..2025-09-01: 12.50 €/month × 17/31 = 6.85 € HT (supply 8.00 + network 4.50 €/month)",
    );
    expect(lines[i + 2]!.trim()).toMatch(/^R1 /);
  });

  it("right-aligns the amounts and ends with the VAT group and totals, TTC 94.51", () => {
    const amountsEnd = lines.filter((l) => /^ +\d+ +\S/.test(l) && / %/.test(l)).map((l) => l.length);
    expect(new Set(amountsEnd).size).toBe(1);
    expect(text).toMatch(/VAT 20 % on 78\.76 +15\.75$/m);
    expect(text).toMatch(/Total HT +78\.76$/m);
    expect(text).toMatch(/Total VAT +15\.75$/m);
    expect(text).toMatch(/Total TTC +94\.51$/m);
    expect(text).toMatch(/Total TTC +94\.51\n$/);
    // The totals' right edge is the amount column's.
    expect(lines.find((l) => l.includes("Total TTC"))!.length).toBe(amountsEnd[0]);
  });

  it("says when an invoice has no number yet", () => {
    expect(renderInvoice(invoiceOfExampleA()).split("\n")[0]).toBe("Monthly invoice (not numbered)");
  });
});

describe("renderFailure", () => {
  it("names the billing date, the code and the reason", () => {
    const text = renderFailure(
      { ok: false, billingDate: "2025-02-15", failure: { code: "INDEX_BACKWARDS", message: "index of register BASE goes backwards" } },
      { contractId: "K1" },
    );
    expect(text).toContain("Billing of contract K1 failed at billing date 2025-02-15");
    expect(text).toContain("INDEX_BACKWARDS: index of register BASE goes backwards");
  });
});

describe("roundDecimalForDisplay", () => {
  it.each([
    ["170", "170"],
    ["219.35483870967741935", "219.355"],
    ["180.6451612903225806", "180.645"],
    ["0.0004", "0"],
    ["9.9996", "10"],
    ["-2.5005", "-2.501"],
    ["-0.0001", "0"],
    ["12.500", "12.5"],
  ])("%s → %s (half-up, at most 3 decimals, no trailing zeros)", (value, shown) => {
    expect(roundDecimalForDisplay(value, 3)).toBe(shown);
  });
});

describe("renderInvoice — R2 consumption basis and self-read window", () => {
  // Example A on a meter that is not communicating: the distributor's read of 2025-08-15 is used.
  const parsed = parseCase({ ...exampleA, contract: { ...exampleA.contract, communicatingMeter: false } });
  if (!parsed.ok) throw new Error("example A should parse");
  const out = dueInvoices(parsed.value);
  if (!out.ok) throw new Error("example A should bill");
  const text = renderInvoice(out.invoices[0]!, { number: "FA-000043" });

  it("R2 prints the source used, each source not used with its reason and the latest distributor index", () => {
    expect(text).toMatch(/^Consumption$/m);
    expect(text).toMatch(/^ {2}Source +distributorActual \(not estimated\)$/m);
    expect(text).toMatch(/^ {2}Not used +teleRead: not a communicating meter$/m);
    expect(text).toMatch(/^ {2}Distributor index +latest accounted for: 2025-08-15$/m);
    expect(text).toContain("R2 · CGV 6.2");
  });

  it("R2 prints the self-read window for the next invoice, absent for a communicating meter", () => {
    expect(text).toContain("Self-read window for the next invoice: 2025-09-10..2025-09-15 (both included; R2 · CGV 6.2)");
    expect(renderInvoice(invoiceOfExampleA())).not.toContain("Self-read window");
  });
});

describe("renderInvoice — R8 final invoice in the customer's favour (R4 · CGV 6.5)", () => {
  // Example A's contract ends on 2025-08-20 (termination received 2025-08-18, after the invoice of 08-15
  // that billed [08-15, 09-15) in advance). Final invoice of 08-20: energy 2025-08-15..08-20 = 10 kWh
  // (1310 → 1320) × 0.1790 = 1.79, excise 10 × 0.02998 = 0.2998 → 0.30; subscription credited
  // [08-20, 09-01) 12.50 × 12/31 = 4.8387 → −4.84 and [09-01, 09-15) 12.50 × 14/30 = 5.8333 → −5.83;
  // CTA 4.50 × 12/31 × 21.93 % = 0.38099 → −0.38 and 4.50 × 14/30 × 21.93 % = 0.46053 → −0.46.
  // HT 1.79 + 0.30 − 4.84 − 5.83 − 0.38 − 0.46 = −9.42; VAT 20 % = −1.884 → −1.88; TTC −11.30:
  // a credit at termination, refunded by issue + 15 = 2025-09-04 whatever its amount.
  function finalInvoice(): Invoice {
    const input = structuredClone(exampleA) as unknown as Record<string, unknown> & { contract: Record<string, unknown>; reads: unknown[]; billing: Record<string, unknown> };
    input["asOf"] = "2025-08-20";
    input.contract["end"] = "2025-08-20";
    input.reads.push({ date: "2025-08-20", source: "teleRead", registers: { BASE: "1320" } });
    input["events"] = [{ type: "contractEnd", date: "2025-08-20", reason: "termination", receivedOn: "2025-08-18" }];
    input.billing = { lastBillingDate: "2025-08-15", lastIssueDate: "2025-08-15" };
    const parsed = parseCase(input);
    if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    const out = dueInvoices(parsed.value);
    if (!out.ok || out.invoices.length !== 1) throw new Error("one final invoice expected");
    return out.invoices[0]!;
  }

  it("is titled « Final invoice », says why the contract ended, and prints the refund date instead of a due date", () => {
    const inv = finalInvoice();
    expect([inv.totalHt, inv.totalVat, inv.totalTtc]).toEqual(["-9.42", "-1.88", "-11.30"]);
    const text = renderInvoice(inv);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Final invoice (not numbered)");
    expect(lines[1]).toContain("Final invoice: the contract ended on 2025-08-20 (termination)");
    expect(lines[2]).toBe("  R8 · CGV 10.3 (final invoice within 4 weeks of the end)");
    expect(text).toMatch(/^ {2}Refund by +2025-09-04 \(R4 · CGV 6\.5: /m);
    expect(text).not.toMatch(/Due date/);
  });
});
