/**
 * R9 distributor services and compensation end to end on a real store (issue 16): a distributor file
 * imported (services, long outages, a missed appointment, bad rows, gaps that fail loudly), imported
 * again (nothing new), then the nightly run bills each re-billed service (with VAT) and each credit
 * (outside VAT) once on the contract's next invoice; a rerun and the next month bill nothing again;
 * the invoice replays to the cent.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { distributorEventsOf, insertContracts, insertCustomers, insertMeterReads, insertOffer, recordCustomerSituation } from "@billing/db";
import { importDistributorFile, replayInvoice, runBilling } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
const db = () => t.store.db;

const PDL1 = "98000000000161";
const PDL2 = "98000000000162";
const header =
  "reference,type,delivery_point,service,option,requested_at,status,performed_on,cut_at,restored_at,subscribed_kva,transmission_exclusion,appointment_on,missed_by,informed_on,moved_or_cancelled_on,force_majeure";
const file = [
  header,
  `S-1,service,${PDL1},activation,standard,2026-02-09T10:00,completed,2026-02-10,,,,,,,,,`,
  `O-1,outage,${PDL1},,,,,,2026-02-03T08:00,2026-02-05T08:00,,,,,,,`,
  `O-2,outage,${PDL1},,,,,,2026-02-06T08:00,2026-02-06T13:00,,,,,,,`,
  `O-3,outage,${PDL1},,,,,,2026-02-10T00:00,2026-02-18T20:00,,,,,,,`,
  `O-4,outage,${PDL1},,,,,,2026-02-20T08:00,2026-02-22T08:00,,true,,,,,`,
  `S-2,service,${PDL1},restoration,sameDay,2026-02-11T15:01,completed,2026-02-11,,,,,,,,,`,
  `S-3,service,${PDL2},suspension,standard,2026-02-12T09:00,completed,2026-02-12,,,,,,,,,`,
  `S-4,service,${PDL1},suspension,standard,2026-02-12T09:00,completed,2026-02-12,,,,,,,,,`,
  `S-5,service,${PDL1},activation,sameDay,2026-02-13T21:00,abandoned,,,,,,,,,,`,
  `S-6,service,${PDL1},activation,sameDay,2026-03-29T02:30,completed,2026-03-30,,,,,,,,,`,
  `A-1,appointment,${PDL1},,,,,,,,,,2026-02-19,distributor,,,`,
  `X-1,visit,${PDL1},,,,,,,,,,,,,,`,
].join("\n");

beforeAll(async () => {
  t = await openTestStore();
  await insertCustomers(db(), [
    { id: "CD1", kind: "residential", name: "Paul Coupure", department: "75" },
    { id: "CD2", kind: "residential", name: "Lina Protégée", department: "75" },
  ]);
  await recordCustomerSituation(db(), {
    customerId: "CD2", effectiveFrom: "2026-01-01", socialTariff: false, energyCheque: true, housingFundAid: false, vulnerable: false, mainResidence: true, source: "test",
  });
  await insertOffer(db(), { id: "DIS-2026", name: "Test offer", capacity: "included" }, [
    { offer_id: "DIS-2026", component: "subscription", price_option: "BASE", kva: 9, register: null, valid_from: "2025-01-01", valid_to: null, amount: "15.00" },
    { offer_id: "DIS-2026", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, customer: string, pdl: string) => ({
    id, customer_id: customer, delivery_point: pdl, offer_id: "DIS-2026", subscribed_kva: 9, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 1, communicating_meter: false, start_date: "2026-01-01", next_billing_date: "2026-02-01",
  });
  await insertContracts(db(), [contract("KD1", "CD1", PDL1), contract("KD2", "CD2", PDL2)]);
  const reads = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"].flatMap((d, i) =>
    ["KD1", "KD2"].map((k) => ({ contract_id: k, read_date: d, source: "distributorActual" as const, register: "BASE", index_value: String(1000 + 300 * i) })),
  );
  await insertMeterReads(db(), reads);
  const first = await runBilling(t.store, { date: "2026-02-01" });
  expect(first.failures).toEqual([]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
});

describe("distributor file on the store (R9)", () => {
  it("R9 each record is decided once: services at catalogue price, outage credits by complete 5-hour slices, R10 exemption, gaps and bad rows rejected with their reason", async () => {
    const s = await importDistributorFile(t.store, { text: file, name: "enedis-2026-02.csv" }, { importedOn: "2026-02-20" });
    expect(s.decisions.map((d) => [d.reference, d.outcome, d.amount ?? null])).toEqual([
      ["S-1", "charge", "26.53"],
      ["O-1", "charge", "-162.00"],
      ["O-2", "none", null],
      ["O-3", "charge", "-720.00"],
      ["O-4", "none", null],
      ["S-3", "none", null],
      ["S-5", "none", null],
    ]);
    expect(s.charged).toBe(3);
    expect(s.notBilled).toBe(4);
    expect(s.rejected.map((r) => [r.reference, r.field])).toEqual([
      ["S-2", "service"],
      ["S-4", "service"],
      ["S-6", "requested_at"],
      ["A-1", "appointment_on"],
      ["X-1", "type"],
    ]);
    expect(s.rejected[0]!.reason).toContain("rétablissement « dans la journée » not found");
    expect(s.rejected[2]!.reason).toContain("does not exist in Europe/Paris");
    expect(s.decisions.find((d) => d.reference === "S-3")!.explanation).toContain("R10 · CGV 9.1");
    expect(s.decisions.find((d) => d.reference === "O-2")!.explanation).toContain("5 h 00");
  });

  it("R9 the same file imported again adds nothing; the same reference with other content is refused", async () => {
    const again = await importDistributorFile(t.store, { text: file, name: "enedis-2026-02.csv" }, { importedOn: "2026-02-21" });
    expect(again.charged + again.notBilled).toBe(0);
    expect(again.alreadyImported).toBe(7);
    const changed = await importDistributorFile(t.store, { text: [header, `O-1,outage,${PDL1},,,,,,2026-02-03T08:00,2026-02-05T09:00,,,,,,,`].join("\n"), name: "x.csv" }, { importedOn: "2026-02-21" });
    expect(changed.rejected.map((r) => r.reason)).toEqual(["was already imported with other content: a correction needs a new reference from the distributor"]);
  });

  it("R9 the next invoice bills the service with VAT and the credits outside VAT, each once with its reference; a rerun and the next month bill nothing again", async () => {
    const run = await runBilling(t.store, { date: "2026-03-01" });
    expect(run.failures).toEqual([]);
    const inv = await db().selectFrom("invoice").selectAll().where("contract_id", "=", "KD1").where("billing_date", "=", "2026-03-01").executeTakeFirstOrThrow();
    const lines = await db().selectFrom("invoice_line").selectAll().where("invoice_id", "=", inv.id).orderBy("line_no").execute();
    const charges = lines.filter((l) => ["distributorService", "longOutageCredit", "missedAppointmentCredit"].includes(l.kind));
    expect(charges.map((l) => [l.kind, l.amount, l.vat_rate, (l.inputs as Record<string, string>)["distributorReference"]])).toEqual([
      ["distributorService", "26.53", "20", "S-1"],
      ["longOutageCredit", "-162.00", "0", "O-1"],
      ["longOutageCredit", "-720.00", "0", "O-3"],
    ]);
    expect(Number(await db().selectFrom("ledger_charge_billing").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow().then((r) => r.n))).toBe(3);
    const replay = await replayInvoice(db(), inv.number);
    expect(replay.status).toBe("match");

    const rerun = await runBilling(t.store, { date: "2026-03-01" });
    expect(rerun.invoices).toBe(0);
    await runBilling(t.store, { date: "2026-04-01" });
    const april = await db().selectFrom("invoice").select("id").where("contract_id", "=", "KD1").where("billing_date", "=", "2026-04-01").executeTakeFirstOrThrow();
    const aprilCharges = await db().selectFrom("invoice_line").select("kind").where("invoice_id", "=", april.id).where("kind", "in", ["distributorService", "longOutageCredit"]).execute();
    expect(aprilCharges).toEqual([]);
    const listed = await distributorEventsOf(db(), PDL1);
    expect(listed.filter((e) => e.outcome === "charge").map((e) => e.invoiceNumber)).toEqual([inv.number, inv.number, inv.number]);
  });
});

describe("billing distributor import on the command line (exit codes)", () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "packages/jobs/src/cli.ts", "--database-url", t.url!, ...args], { cwd: join(import.meta.dirname, ".."), encoding: "utf8" });
  const tmp = (name: string, text: string) => {
    const p = join(tmpdir(), `i16-${process.pid}-${name}`);
    writeFileSync(p, text);
    return p;
  };
  it.skipIf(!process.env["DATABASE_URL"])("R9 exit 1 when records are rejected (each listed), 2 for a header with an unknown column, 0 when all is already imported", () => {
    const again = cli(["distributor", "import", tmp("again.csv", file), "--date", "2026-03-02"]);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain("7 already imported");
    expect(again.stdout).toContain("line 7 (S-2): service: no distributor catalogue price for restorationSameDay");
    const bad = cli(["distributor", "import", tmp("bad.csv", "reference,type,delivery_point,colour\nZ,service,98000000000161,red\n")]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("colour");
    const ok = cli(["distributor", "import", tmp("ok.csv", [header, `S-1,service,${PDL1},activation,standard,2026-02-09T10:00,completed,2026-02-10,,,,,,,,,`].join("\n")), "--date", "2026-03-02"]);
    expect(ok.status).toBe(0);
  }, 60_000);
});
