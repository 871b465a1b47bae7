/**
 * A price option change on a real store (issue 14 item 2; R8 · CGV 4, R1): a 6 kVA BASE contract on
 * BTINFCUST billed by the nightly run; a change to HP/HC on 2025-09-15 recorded through the jobs layer
 * (the shipped catalogue has no price for it: refused until the distributor's fee is given), the
 * formula following the option (BTINFMUDT); the October invoice splits the energy at the change date on
 * the distributor's indexes of that day, re-prices the subscription billed in advance and re-bills the
 * fee; it replays; a rerun bills nothing new. Refusals with their reasons. On PostgreSQL with
 * DATABASE_URL, else PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertContracts, insertCustomers, insertMeterReads, insertOffer } from "@billing/db";
import { recordContractEvent, replayInvoice, runBilling } from "@billing/jobs";
import { importContractEvents } from "../packages/jobs/src/contracts/contract-events-import.ts";
import { contractEventInputSchema } from "../packages/jobs/src/contracts/contract-events.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;
const event = (e: Record<string, unknown>) => contractEventInputSchema.parse(e);
const invoicesOf = (contractId: string) =>
  db().selectFrom("invoice").select(["id", "number", "billing_date", "total_ht", "total_vat", "total_ttc"]).where("contract_id", "=", contractId).orderBy("billing_date").execute();
const linesOf = async (number: string) => {
  const inv = await db().selectFrom("invoice").select("id").where("number", "=", number).executeTakeFirstOrThrow();
  const rows = await db().selectFrom("invoice_line").select(["kind", "register", "period_start", "period_end", "amount"]).where("invoice_id", "=", inv.id).orderBy("line_no").execute();
  return rows.map((l) => [l.kind, l.register, `${l.period_start}..${l.period_end}`, l.amount]);
};
const read = (contract_id: string, read_date: string, registers: Record<string, string>) =>
  Object.entries(registers).map(([register, index_value]) => ({ contract_id, read_date, source: "teleRead" as const, register, index_value }));

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CO1", kind: "residential", name: "Hélène Heures-Creuses", department: "44" },
    { id: "CO2", kind: "residential", name: "Lucien Lissé", department: "44" },
  ]);
  await insertOffer(db(), { id: "OPT-2025", name: "Test offer", capacity: "included" }, [
    { offer_id: "OPT-2025", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "8.00" },
    { offer_id: "OPT-2025", component: "subscription", price_option: "HPHC", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "9.00" },
    { offer_id: "OPT-2025", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
    { offer_id: "OPT-2025", component: "energy", price_option: "HPHC", kva: null, register: "HP", valid_from: "2025-01-01", valid_to: null, amount: "0.1200" },
    { offer_id: "OPT-2025", component: "energy", price_option: "HPHC", kva: null, register: "HC", valid_from: "2025-01-01", valid_to: null, amount: "0.0900" },
  ]);
  const contract = (id: string, customer: string, pdl: string, billing_mode: "monthly" | "smoothed" = "monthly") => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "OPT-2025", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: true, start_date: "2025-08-01", next_billing_date: "2025-09-01", billing_mode,
  });
  // KO2, smoothed, is not due before 2030: only its refusal matters here.
  await insertContracts(db(), [contract("KO1", "CO1", "97100000000001"), { ...contract("KO2", "CO2", "97100000000002", "smoothed"), next_billing_date: "2030-01-01" }]);
  await insertMeterReads(db(), [
    ...read("KO1", "2025-08-01", { BASE: "1000" }),
    ...read("KO1", "2025-09-01", { BASE: "1300" }),
    // The distributor reprograms the meter on 2025-09-15: the BASE register's last index, HP/HC's first.
    ...read("KO1", "2025-09-15", { BASE: "1440", HP: "0", HC: "0" }),
    ...read("KO1", "2025-10-01", { HP: "120", HC: "100" }),
  ]);
  expect((await runBilling(t.store, { date: "2025-09-01" })).failures).toEqual([]);
}, 180_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("price option change on the store (R8 · CGV 4, R1)", () => {
  it("R8 · R9 without the distributor's fee the change is refused: the shipped catalogue has no price for it", async () => {
    const out = await recordContractEvent(t.store, event({ contract: "KO1", kind: "optionChange", date: "2025-09-15", option: "HPHC", receivedOn: "2025-09-10" }), "2025-09-10", "test");
    expect(out).toMatchObject({ status: "refused", reason: expect.stringMatching(/^optionChange: the distributor catalogue has no price for optionChangeRemote on 2025-09-15 \(.*not collected\); give the distributor's fee in € HT from its invoice \(--fee-ht; fee_ht in an events file, feeHt in the API\)$/) });
  });

  it("R8 the change is recorded with the distributor's fee, the formula following the option; recording it again changes nothing", async () => {
    const e = event({ contract: "KO1", kind: "optionChange", date: "2025-09-15", option: "hphc", feeHt: "2.50", receivedOn: "2025-09-10" });
    const out = await recordContractEvent(t.store, e, "2025-09-10", "test");
    expect(out).toMatchObject({ status: "recorded", effectiveDate: "2025-09-15", explanation: expect.stringMatching(/^Price option change BASE → HPHC from 2025-09-15 \(tariff formula BTINFCUST → BTINFMUDT, following the option\).*fee 2\.50 € HT \(optionChangeRemote\)$/) });
    expect((await recordContractEvent(t.store, e, "2025-09-10", "test")).status).toBe("unchanged");
  });

  it("R8 · R1 the night of 10-01 splits energy and subscription at the change date and re-bills the fee: HT 89.40, VAT 17.88, TTC 107.28; it replays; a rerun bills nothing", async () => {
    const s = await runBilling(t.store, { date: "2025-10-01" });
    expect(s.failures).toEqual([]);
    const october = (await invoicesOf("KO1")).at(-1)!;
    expect(october.billing_date).toBe("2025-10-01");
    // TURPE 7 (2025-08-01), 6 kVA: BTINFCUST 16.8 + 22 + 11.07 × 6 = 105.22 €/year, BASE 0.0484 €/kWh;
    // BTINFMUDT 16.8 + 22 + 13.49 × 6 = 119.74 €/year, HP 0.0494, HC 0.0350. CTA 21.93 %, excise 29.98 €/MWh, VAT 20 %.
    //   subscription October HPHC: (9.00 × 12 + 119.74) / 12 = 18.978 → 18.98; CTA 119.74 / 12 × 21.93 % = 2.1882 → 2.19;
    //   credit [09-15, 10-01) BASE, billed on 09-01 before the change was known: (8.00 × 12 + 105.22) × 16 / 360 = 8.9431 → −8.94,
    //     CTA 105.22 × 16 / 360 × 21.93 % = 1.0255 → −1.03; re-billed HPHC: 227.74 × 16 / 360 = 10.1218 → 10.12, CTA 1.1671 → 1.17;
    //   energy [09-01, 09-15) BASE 1440 − 1300 = 140 kWh × (0.1000 + 0.0484) = 20.776 → 20.78, excise 140 × 0.02998 = 4.1972 → 4.20;
    //   [09-15, 10-01) HP 120 kWh × (0.1200 + 0.0494) = 20.328 → 20.33, excise 3.5976 → 3.60;
    //     HC 100 kWh × (0.0900 + 0.0350) = 12.50, excise 2.998 → 3.00; the distributor's fee 2.50.
    //   HT 89.40; VAT 20 % 17.88; TTC 107.28.
    expect(await linesOf(october.number)).toEqual([
      ["subscription", null, "2025-10-01..2025-11-01", "18.98"],
      ["cta", null, "2025-10-01..2025-11-01", "2.19"],
      ["subscription", null, "2025-09-15..2025-10-01", "-8.94"],
      ["cta", null, "2025-09-15..2025-10-01", "-1.03"],
      ["subscription", null, "2025-09-15..2025-10-01", "10.12"],
      ["cta", null, "2025-09-15..2025-10-01", "1.17"],
      ["energy", "BASE", "2025-09-01..2025-09-15", "20.78"],
      ["excise", "BASE", "2025-09-01..2025-09-15", "4.20"],
      ["energy", "HP", "2025-09-15..2025-10-01", "20.33"],
      ["excise", "HP", "2025-09-15..2025-10-01", "3.60"],
      ["energy", "HC", "2025-09-15..2025-10-01", "12.50"],
      ["excise", "HC", "2025-09-15..2025-10-01", "3.00"],
      ["distributorService", null, "2025-09-15..2025-09-16", "2.50"],
    ]);
    expect([october.total_ht, october.total_vat, october.total_ttc]).toEqual(["89.40", "17.88", "107.28"]);
    expect(await replayInvoice(db(), october.number)).toMatchObject({ status: "match" });
    expect((await runBilling(t.store, { date: "2025-10-01" })).invoices).toBe(0);
  });

  it("R8 refusals with their reasons: unknown option, same option, before the start, a date already billed; a smoothed contract accepted", async () => {
    const bad = contractEventInputSchema.safeParse({ contract: "KO1", kind: "optionChange", date: "2025-11-15", option: "TEMPO" });
    expect(bad.success ? [] : bad.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([["option", "must be one of BASE, HPHC"]]);
    const missing = contractEventInputSchema.safeParse({ contract: "KO1", kind: "optionChange", date: "2025-11-15" });
    expect(missing.success ? [] : missing.error.issues.map((i) => i.path.join("."))).toEqual(["option"]);
    const refused = async (e: Record<string, unknown>) => {
      const out = await recordContractEvent(t.store, event({ kind: "optionChange", feeHt: "2.50", receivedOn: "2025-10-05", ...e }), "2025-10-05", "test");
      return out.status === "refused" ? out.reason : out.status;
    };
    expect(await refused({ contract: "KO1", date: "2025-11-15", option: "HPHC" })).toBe("optionChange: the price option is already HPHC on 2025-11-15");
    expect(await refused({ contract: "KO1", date: "2025-07-15", option: "BASE" })).toBe("optionChange: 2025-07-15 is not after the contract's start 2025-08-01");
    // A date already billed is corrected by the recalculation (docs/contract-life.md) — here it cannot be: the
    // distributor's indexes of 09-20 are not in the store, so nothing is stored and the reason is given.
    expect(await refused({ contract: "KO1", date: "2025-09-20", option: "BASE" })).toMatch(/^optionChange of 2025-09-20 is dated in an already-billed period and its correction cannot be made: FA-2025-\d+: /);
    // A smoothed contract is no longer refused (engine 0.3.1: its true-up bills the change, docs/contract-life.md); KO2 is billed up to 2030.
    expect(await refused({ contract: "KO2", date: "2030-01-15", option: "HPHC" })).toBe("recorded");
    // Back to BASE two months after: it reverses the change of 09-15 (CGV 4), the distributor's annual-character charge may be given.
    expect(await refused({ contract: "KO1", date: "2025-11-15", option: "BASE", annualChargeHt: "11.00" })).toBe("recorded");
  });

  it("R8 contracts events import: option and tariff_formula columns; a row without an option is rejected with its field", async () => {
    const text = "contract,kind,date,option,tariff_formula,fee_ht,received_on\n" +
      "KO1,optionChange,2025-11-15,BASE,BTINFCUST,2.50,2025-10-05\n" +
      "KO1,optionChange,2025-12-15,,,2.50,2025-10-05\n";
    const r = await importContractEvents(t.store, { text, name: "options.csv" }, { today: "2025-10-05" });
    expect(r).toMatchObject({ rows: 2, recorded: 0, unchanged: 1 });
    expect(r.rejected.map((x) => [x.line, x.field])).toEqual([[3, "option"]]);
  });
});
