/** Small builders for the store's tests (not exported from the package index). */
import type { Invoice } from "@billing/core";
import type { Kysely } from "kysely";
import type { NewInvoice } from "./invoice.repository.ts";
import { insertContracts } from "./portfolio.repository.ts";
import type { Database } from "./schema.ts";

/** A customer, an offer and `count` monthly contracts "C0001"… due on `nextBillingDate`. */
export async function seedContracts(
  db: Kysely<Database>,
  count: number,
  nextBillingDate: string | null = "2025-02-01",
): Promise<string[]> {
  await db.insertInto("customer").values({ id: "CU1", kind: "residential", name: "Jeanne Martin", department: "75" })
    .onConflict((oc) => oc.doNothing()).execute();
  await db.insertInto("offer").values({ id: "OF1", name: "Offre Base" }).onConflict((oc) => oc.doNothing()).execute();
  const ids = Array.from({ length: count }, (_, i) => `C${String(i + 1).padStart(4, "0")}`);
  await insertContracts(db, ids.map((id, i) => ({
    id, customer_id: "CU1", delivery_point: String(10_000_000_000_000 + i), offer_id: "OF1",
    subscribed_kva: 6, price_option: "BASE" as const, tariff_formula: "BTINFCU4", billing_day: 1,
    communicating_meter: true, start_date: "2025-01-01", next_billing_date: nextBillingDate,
  })));
  return ids;
}

/** A plausible one-month invoice for `contractId`, billed on `billingDate`. */
export function fakeInvoice(contractId: string, billingDate = "2025-02-01"): Invoice {
  return {
    kind: "monthlyInvoice",
    contractId,
    customerId: "CU1",
    deliveryPoint: "10000000000000",
    billingDate,
    issueDate: billingDate,
    dueDate: "2025-02-16",
    subscriptionPeriod: { start: "2025-02-01", end: "2025-03-01" },
    energyPeriod: { start: "2025-01-01", end: "2025-02-01" },
    indexes: [
      { register: "BASE", date: "2025-01-01", index: "1000", basis: "read", source: "teleRead" },
      { register: "BASE", date: "2025-02-01", index: "1250.5", basis: "interpolated", source: "teleRead" },
    ],
    lines: [
      {
        lineNo: 1, kind: "subscription", register: null, periodStart: "2025-02-01", periodEnd: "2025-03-01",
        quantity: "1", quantityUnit: "month", unitPrice: "12.50", amount: "12.50", vatRate: "20",
        rule: "R1 · Annexe Prix I", inputs: { unit: "12.50", proration: "28/28" },
        explanation: "Abonnement 6 kVA, un mois à 12,50 € HT.",
      },
      {
        lineNo: 2, kind: "energy", register: "BASE", periodStart: "2025-01-01", periodEnd: "2025-02-01",
        quantity: "250.5", quantityUnit: "kWh", unitPrice: "0.1952", amount: "48.90", vatRate: "20",
        rule: "R2", inputs: { kWh: "250.5", unit: "0.1952" }, explanation: "250,5 kWh à 0,1952 € HT.",
      },
      {
        lineNo: 3, kind: "excise", register: "BASE", periodStart: "2025-01-01", periodEnd: "2025-02-01",
        quantity: "250.5", quantityUnit: "kWh", unitPrice: "0.03370", amount: "8.44", vatRate: "5.5",
        rule: "R4", inputs: { kWh: "250.5", rate: "0.03370" }, explanation: "Accise sur 250,5 kWh.",
      },
    ],
    vat: [
      { rate: "20", base: "61.40", amount: "12.28" },
      { rate: "5.5", base: "8.44", amount: "0.46" },
    ],
    totalHt: "69.84",
    totalVat: "12.74",
    totalTtc: "82.58",
  };
}

export function newInvoice(contractId: string, billingDate = "2025-02-01", runId: number | null = null): NewInvoice {
  return {
    document: fakeInvoice(contractId, billingDate),
    seriesPrefix: "FA",
    runId,
    engineVersion: "0.1.0-test",
    input: {
      caseHash: `case-${contractId}-${billingDate}`,
      contractPart: { contractId, reads: [{ date: "2025-01-01", index: "1000" }] },
      sharedParts: {
        offer: { hash: "offer-hash-1", body: { offer: "OF1", prices: ["12.50"] } },
        reference: { hash: "reference-hash-1", body: { vat: ["20", "5.5"] } },
      },
    },
  };
}
