/**
 * R1 · R8 (CGV 4): the printed header shows the price option, power and tariff formula in force over the
 * invoice's period (in-force.ts), not the contract's first: an invoice spanning a change shows both
 * with their dates, an invoice after it the new ones; a subscription line names its own power and option.
 */
import { describe, expect, it } from "vitest";
import { type Case, type Invoice, dueInvoices } from "@billing/core";
import { baseCaseInput, exampleCase, teleRead } from "../../core/src/testing/example-case.ts";
import { DEFAULT_SUPPLIER, documentContent, partiesOf } from "./index.ts";

const base = baseCaseInput();
const offer = {
  ...base.offer,
  subscription: [
    ...base.offer.subscription,
    { from: "2020-01-01", priceOption: "BASE" as const, kva: 9, monthlyHt: "10.00" },
    { from: "2020-01-01", priceOption: "HPHC" as const, kva: 6, monthlyHt: "9.00" },
  ],
  energy: [
    ...base.offer.energy,
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HP" as const, priceHt: "0.1500" },
    { from: "2020-01-01", priceOption: "HPHC" as const, register: "HC" as const, priceHt: "0.1100" },
  ],
};
const reference = {
  ...base.reference,
  networkTariff: [
    ...base.reference.networkTariff,
    { from: "2020-01-01", tariffFormula: "BTINFMUDT" as const, version: "TEST", managementPerYear: "66", meteringPerYear: "0", withdrawalPerKvaPerYear: "0", energyPerKwh: { HP: "0.05", HC: "0.03" } },
  ],
};
const optionChange = { type: "optionChange", date: "2026-02-01", priceOption: "HPHC", tariffFormula: "BTINFMUDT", receivedOn: "2026-01-20", requestedBy: "customer" };
const READS = [
  teleRead("2026-01-15", { BASE: "5000" }),
  teleRead("2026-02-01", { BASE: "5170", HP: "1000", HC: "2000" }),
  teleRead("2026-02-15", { HP: "1100", HC: "2060" }),
  teleRead("2026-03-15", { HP: "1300", HC: "2200" }),
];
const caseOf = (asOf: string, lastBillingDate: string, events: unknown[], reads = READS): Case =>
  exampleCase({ asOf, contract: { start: "2025-01-15" }, offer, reference, reads, events: events as never, billing: { lastBillingDate, lastIssueDate: lastBillingDate } });
const invoiceOf = (c: Case): Invoice => {
  const out = dueInvoices(c);
  if (!out.ok) throw new Error(out.failure.message);
  return out.invoices[0]!;
};
const header = (c: Case, inv: Invoice) => {
  const content = documentContent({ kind: "invoice", number: "FA-2026-000001", invoice: inv, parties: partiesOf(c) }, DEFAULT_SUPPLIER);
  const rows = content.sections.find((s) => s.heading === "Votre contrat")!.rows!;
  const of = (label: string) => rows.find((r) => r[0] === label)?.[1];
  return { kva: of("Puissance souscrite"), option: of("Option tarifaire"), formula: of("Formule tarifaire d'acheminement"), lines: content.sections.flatMap((s) => s.table?.rows ?? []).map((r) => r[0]!.split("\n")[0]!) };
};

describe("R1 · R8 the printed header shows what was in force over the invoice's period", () => {
  it("R8 an invoice spanning a BASE → HPHC change on 02-01 shows both options and formulas with their dates; its subscription lines say HPHC", () => {
    const c = caseOf("2026-02-15", "2026-01-15", [optionChange]);
    const h = header(c, invoiceOf(c));
    expect(h.option).toBe("Base jusqu'au 31/01/2026, Heures pleines / Heures creuses à partir du 01/02/2026");
    expect(h.formula).toBe("BTINFCUST jusqu'au 31/01/2026, BTINFMUDT à partir du 01/02/2026");
    expect(h.kva).toBe("6 kVA");
    // The subscription billed in advance [02-15, 03-15) and the days [02-01, 02-15) re-billed: HPHC; the credit of those days at BASE.
    expect(h.lines.filter((l) => l.startsWith("Abonnement"))).toEqual([
      "Abonnement 6 kVA Heures pleines / Heures creuses", "Abonnement 6 kVA Heures pleines / Heures creuses",
      "Abonnement 6 kVA Base", "Abonnement 6 kVA Heures pleines / Heures creuses",
    ]);
  });

  it("R8 the invoice after it shows the new option only (the contract row still says BASE)", () => {
    const c = caseOf("2026-03-15", "2026-02-15", [optionChange]);
    expect(c.contract.priceOption).toBe("BASE");
    expect(header(c, invoiceOf(c))).toMatchObject({ option: "Heures pleines / Heures creuses", formula: "BTINFMUDT", kva: "6 kVA" });
  });

  it("R8 a power change 6 → 9 kVA on 02-20 inside the subscription period: both powers with their dates", () => {
    const power = { type: "powerChange", date: "2026-02-20", subscribedKva: 9, receivedOn: "2026-02-10", requestedBy: "customer" };
    const c = caseOf("2026-02-15", "2026-01-15", [power], [teleRead("2026-01-15", { BASE: "5000" }), teleRead("2026-02-15", { BASE: "5300" })]);
    expect(header(c, invoiceOf(c))).toMatchObject({ kva: "6 kVA jusqu'au 19/02/2026, 9 kVA à partir du 20/02/2026", option: "Base", formula: "BTINFCUST" });
  });

  it("a contract without change: the contract's values, as before", () => {
    const c = caseOf("2026-02-15", "2026-01-15", [], [teleRead("2026-01-15", { BASE: "5000" }), teleRead("2026-02-15", { BASE: "5300" })]);
    expect(header(c, invoiceOf(c))).toMatchObject({ kva: "6 kVA", option: "Base", formula: "BTINFCUST" });
  });
});
