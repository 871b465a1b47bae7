/**
 * The customer-service scenario the API and browser tests share (the recalculation test's, issue 12):
 * two identical meters that are not communicating; K-EST's customer sent no self-read for 2026-02-01,
 * so its invoice is estimated from history (400 kWh); K-READ's sent 10,350 (350 kWh). A what-if
 * self-read of 10,350 on K-EST corrects its invoice to the read one. Plus a read and a commit token.
 */
import { createApiToken, insertContracts, insertCustomers, insertMeterReads, insertOffer, type Store } from "@billing/db";
import { runBilling } from "@billing/jobs";

export interface ApiFixture {
  readonly readToken: string;
  readonly commitToken: string;
  /** K-EST's estimated invoice of 2026-02-01. */
  readonly estimated: string;
}

export const WHAT_IF = { contractId: "K-EST", from: "2026-02-01", requestedOn: "2026-02-20", reads: [{ date: "2026-02-01", register: "BASE", index: "10350" }] };

export async function seedApiFixture(store: Store): Promise<ApiFixture> {
  const db = store.db;
  await insertCustomers(db, [
    { id: "CR-EST", kind: "residential", name: "Paul Estimé", department: "75" },
    { id: "CR-READ", kind: "residential", name: "Anne Relevé", department: "75" },
  ]);
  await insertOffer(db, { id: "FLAT-2025", name: "Flat price", capacity: "included" }, [
    { offer_id: "FLAT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2024-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "FLAT-2025", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2024-01-01", valid_to: null, amount: "13.00" },
    { offer_id: "FLAT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2024-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "FLAT-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2024-12-01", next_billing_date: "2026-02-01",
  });
  await insertContracts(db, [contract("K-EST", "CR-EST", "99000000000101"), contract("K-READ", "CR-READ", "99000000000102")]);
  const reads = (id: string) => [
    { contract_id: id, read_date: "2025-01-01", source: "distributorActual" as const, register: "BASE", index_value: "5000" },
    { contract_id: id, read_date: "2025-02-01", source: "distributorActual" as const, register: "BASE", index_value: "5400" },
    { contract_id: id, read_date: "2026-01-01", source: "distributorActual" as const, register: "BASE", index_value: "10000" },
    { contract_id: id, read_date: "2026-03-01", source: "distributorActual" as const, register: "BASE", index_value: "10700" },
  ];
  await insertMeterReads(db, [...reads("K-EST"), ...reads("K-READ"), { contract_id: "K-READ", read_date: "2026-02-01", source: "selfRead", register: "BASE", index_value: "10350" }]);
  const run = await runBilling(store, { date: "2026-02-01" });
  if (run.failures.length > 0 || run.invoices !== 2) throw new Error(`fixture billing: ${JSON.stringify(run.failures)}`);
  const estimated = (await db.selectFrom("invoice").select("number").where("contract_id", "=", "K-EST").executeTakeFirstOrThrow()).number;
  const readToken = (await createApiToken(db, "crm-read", "read")).token;
  const commitToken = (await createApiToken(db, "agent-desk", "commit")).token;
  return { readToken, commitToken, estimated };
}
