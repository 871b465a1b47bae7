/**
 * R2 end to end on a real store (STYLE 15, third tier): a reads file with good and bad rows is imported
 * (every row kept, the bad ones rejected with `line N: column: reason`), the nightly run computes the
 * peer averages and bills six contracts whose consumption comes from five different sources — tele-read,
 * self-read, connected station, history (twice: one is a communicating meter whose tele-read is late),
 * peer average — each invoice recording the source it used and
 * why the better ones were not; importing the same file again stores nothing; next month, the invoice
 * starts from the index the previous one billed up to.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvoiceByNumber, insertContracts, insertCustomers, insertOffer, listReceived, loadConsumptionUses } from "@billing/db";
import { billingUseOf, formatImport, importReadsFile, renderInvoice, replayInvoice, runCommand } from "@billing/jobs";
import type { RunSummary } from "@billing/jobs";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
let dir: string;
const db = () => t.store.db;

const PDL = {
  tele: "99000000000201",
  self: "99000000000202",
  station: "99000000000203",
  history: "99000000000204",
  peer: "99000000000205",
  teleLate: "99000000000206",
} as const;

/** 31 station days of 8.5 kWh, 2026-07-15 to 2026-08-14, each received the day after. */
const stationRows = Array.from({ length: 31 }, (_, i) => {
  const day = new Date(Date.UTC(2026, 6, 15 + i)).toISOString().slice(0, 10);
  const next = new Date(Date.UTC(2026, 6, 16 + i)).toISOString().slice(0, 10);
  return `${PDL.station},${day},connectedStation,BASE,8.5,${next}`;
});

const FILE = [
  "delivery_point,date,source,register,value,received_on",
  `${PDL.tele},2026-07-15,teleRead,BASE,1000,2026-07-15`,
  `${PDL.tele},2026-08-15,teleRead,BASE,1310,2026-08-15`,
  `${PDL.self},2026-07-15,distributorActual,BASE,2000,2026-07-16`,
  `${PDL.self},2026-08-15,selfRead,BASE,2300,2026-08-15`,
  `${PDL.station},2026-07-15,distributorActual,BASE,500,2026-07-16`,
  ...stationRows,
  `${PDL.history},2025-07-15,distributorActual,BASE,3000,2025-07-16`,
  `${PDL.history},2025-08-15,distributorActual,BASE,3310,2025-08-16`,
  `${PDL.history},2026-07-15,distributorActual,BASE,7000,2026-07-16`,
  `${PDL.peer},2026-07-15,distributorActual,BASE,4000,2026-07-16`,
  // Bad rows (lines 42–48): each is kept, rejected, with its reason.
  `12345678901234,2026-08-15,selfRead,BASE,10,2026-08-15`,
  `${PDL.self},2026-02-30,selfRead,BASE,10,2026-08-15`,
  `${PDL.self},2026-08-14,selfRead,HP,2290,2026-08-15`,
  `${PDL.peer},2026-08-14,selfRead,BASE,-5,2026-08-15`,
  `${PDL.peer},2026-08-14,estimate,BASE,4100,2026-08-15`,
  `${PDL.peer},2026-08-14,selfRead`,
  `${PDL.tele},2026-08-15,teleRead,BASE,1311,2026-08-16`,
  // A communicating meter whose tele-read of 2026-08-15 has not arrived: estimated from its history.
  `${PDL.teleLate},2025-07-15,teleRead,BASE,100,2025-07-15`,
  `${PDL.teleLate},2025-08-15,teleRead,BASE,400,2025-08-15`,
  `${PDL.teleLate},2026-07-15,teleRead,BASE,5000,2026-07-15`,
].join("\n") + "\n";

const REJECTED = [
  "line 42: delivery_point: unknown delivery point 12345678901234",
  'line 43: date: "2026-02-30" must be a calendar date written YYYY-MM-DD',
  `line 44: register: HP is not a register of contract KR-SELF's price option BASE (BASE)`,
  'line 45: value: "-5" must be a non-negative decimal number written with a dot, e.g. 1234 or 12.5',
  'line 46: source: "estimate" must be one of distributorActual, teleRead, selfRead, connectedStation',
  "line 47: line: expected 6 fields (delivery_point,date,source,register,value,received_on), got 3",
  "line 48: value: conflicts with line 3 of this file for 2026-08-15 BASE (teleRead): 1310 (here 1311)",
];

let first: RunSummary;

beforeAll(async () => {
  t = await openTestStore();
  dir = await mkdtemp(join(tmpdir(), "billing-reads-"));
  await insertCustomers(db(), [{ id: "CR1", kind: "residential", name: "Rémi Relevé", department: "69" }]);
  await insertOffer(db(), { id: "READS-TEST", name: "Reads test", capacity: "included" }, [
    { offer_id: "READS-TEST", component: "subscription", price_option: "BASE", kva: 6, register: null, valid_from: "2025-01-01", valid_to: null, amount: "10.00" },
    { offer_id: "READS-TEST", component: "energy", price_option: "BASE", kva: null, register: "BASE", valid_from: "2025-01-01", valid_to: null, amount: "0.1000" },
  ]);
  const contract = (id: string, pdl: string, communicating: boolean) => ({
    id, customer_id: "CR1", delivery_point: pdl, offer_id: "READS-TEST", subscribed_kva: 6, price_option: "BASE" as const,
    tariff_formula: "BTINFCUST", billing_day: 15, communicating_meter: communicating, start_date: "2025-01-15", next_billing_date: "2026-08-15",
  });
  await insertContracts(db(), [
    contract("KR-TELE", PDL.tele, true),
    contract("KR-SELF", PDL.self, false),
    contract("KR-STATION", PDL.station, false),
    contract("KR-HIST", PDL.history, false),
    contract("KR-PEER", PDL.peer, false),
    contract("KR-TELE-LATE", PDL.teleLate, true),
  ]);
}, 120_000);

afterAll(async () => {
  await t?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function invoiceOf(contractId: string, billingDate: string) {
  const row = await db().selectFrom("invoice").select("number").where("contract_id", "=", contractId).where("billing_date", "=", billingDate).executeTakeFirstOrThrow();
  return (await findInvoiceByNumber(db(), row.number))!;
}

describe("R2 reads import, peer averages and estimation on the store", () => {
  it("R2 imports good and bad rows: the good ones accepted, every bad one kept as rejected and reported with its line and reason", async () => {
    const path = join(dir, "reads.csv");
    await writeFile(path, FILE);
    const r = await importReadsFile(t.store, path, "2026-08-15");
    expect(r).toMatchObject({ rows: 50, acceptedReads: 12, acceptedStationDays: 31, storedRejected: 7, alreadyKnown: 0 });
    const report = formatImport("reads.csv", r).split("\n");
    expect(report[0]).toBe("reads.csv: 50 rows — stored 12 reads and 31 station days accepted, 7 rows rejected; 0 rows already known (nothing new stored for them)");
    expect(report.slice(1)).toEqual(REJECTED);
    // Nothing received is dropped: the unknown delivery point's row is there, with its reason and raw line.
    const unknown = await listReceived(db(), "12345678901234");
    expect(unknown.map((e) => [e.status, e.contractId, e.reason, e.raw, e.lineNo])).toEqual([
      ["rejected", null, "delivery_point: unknown delivery point 12345678901234", "12345678901234,2026-08-15,selfRead,BASE,10,2026-08-15", 42],
    ]);
  });

  it("R2 the nightly run computes the peer averages, then bills each contract from the best source that passes its checks", async () => {
    first = await runCommand(t.store, { date: "2026-08-15", progress: false, allowDate: true });
    expect(first.failures).toEqual([]);
    expect(first).toMatchObject({ billed: 6, failed: 0, invoices: 6 });
    const peers = await db().selectFrom("peer_average").select(["version", "month", "kwh_per_day", "sample_size"]).orderBy("month").execute();
    expect(peers.map((p) => p.version)).toEqual(peers.map(() => "2026-08-15"));
    expect(peers.map((p) => p.month)).toContain("2026-07-01");

    const expected: Record<string, { source: string; estimated: boolean; end?: string; notUsed: string[] }> = {
      "KR-TELE": { source: "teleRead", estimated: false, end: "1310", notUsed: [] },
      "KR-SELF": { source: "selfRead", estimated: true, end: "2300", notUsed: ["teleRead", "distributorActual"] },
      "KR-STATION": { source: "connectedStation", estimated: true, end: "763.5", notUsed: ["teleRead", "distributorActual", "selfRead"] },
      "KR-HIST": { source: "history", estimated: true, end: "7310", notUsed: ["teleRead", "distributorActual", "selfRead", "connectedStation"] },
      "KR-PEER": { source: "peerAverage", estimated: true, notUsed: ["teleRead", "distributorActual", "selfRead", "connectedStation", "history"] },
      "KR-TELE-LATE": { source: "history", estimated: true, end: "5300", notUsed: ["teleRead", "distributorActual", "selfRead", "connectedStation"] },
    };
    for (const [id, e] of Object.entries(expected)) {
      const { document } = await invoiceOf(id, "2026-08-15");
      expect(document.consumption, id).toMatchObject({ source: e.source, estimated: e.estimated });
      expect(document.consumption!.notUsed.map((n) => n.source), id).toEqual(e.notUsed);
      const end = document.indexes.find((x) => x.date === "2026-08-15")!;
      if (e.end !== undefined) expect(end.index, id).toBe(e.end);
      expect(end.source, id).toBe(e.source);
    }
    // Audit replay from the stored input: the station days and peer averages are kept with the invoice.
    for (const id of ["KR-TELE", "KR-SELF", "KR-STATION", "KR-PEER", "KR-TELE-LATE"]) {
      const { invoice } = await invoiceOf(id, "2026-08-15");
      expect(await replayInvoice(db(), invoice.number), id).toMatchObject({ status: "match" });
    }
    // KR-PEER's reasons name what each better source lacked.
    const peer = (await invoiceOf("KR-PEER", "2026-08-15")).document.consumption!;
    expect(peer.notUsed.find((n) => n.source === "connectedStation")!.reason).toBe("no connected-station data for 2026-07-15..2026-08-15");
    expect(peer.notUsed.find((n) => n.source === "history")!.reason).toMatch(/^no distributor index of register BASE on or before 2025-07-15/);
    // `billing invoice show` prints the basis and the window for the next self-read.
    const shown = renderInvoice((await invoiceOf("KR-SELF", "2026-08-15")).document);
    expect(shown).toMatch(/^ {2}Source +selfRead \(estimated\)$/m);
    expect(shown).toMatch(/^ {2}Not used +teleRead: not a communicating meter$/m);
    expect(shown).toContain("Self-read window for the next invoice: 2026-09-10..2026-09-15");
  });

  it("R2 a history-estimated invoice replays to the cent from its stored input (the comparable period's reads are kept with it)", async () => {
    const { invoice } = await invoiceOf("KR-HIST", "2026-08-15");
    expect(await replayInvoice(db(), invoice.number)).toMatchObject({ status: "match" });
  });

  it("R2 importing the same file again stores nothing new, and a second run on the date issues nothing", async () => {
    const counts = async () => Promise.all([
      db().selectFrom("meter_read").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
      db().selectFrom("station_consumption").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]).then((r) => r.map((x) => Number(x.n)));
    const before = await counts();
    expect(before).toEqual([12 + 7, 31]);
    const path = join(dir, "reads.csv");
    const again = await importReadsFile(t.store, path, "2026-08-20");
    expect(again).toMatchObject({ rows: 50, acceptedReads: 0, acceptedStationDays: 0, storedRejected: 0, alreadyKnown: 50 });
    expect(formatImport("reads.csv", again).split("\n")[0]).toBe(
      "reads.csv: 50 rows — stored 0 reads and 0 station days accepted, 0 rows rejected; 50 rows already known (nothing new stored for them)",
    );
    expect(await counts()).toEqual(before);
    const rerun = await runCommand(t.store, { date: "2026-08-15", progress: false, allowDate: true });
    expect(rerun).toMatchObject({ contractsDone: 0, invoices: 0 });
  });

  it("R2 next month each invoice starts from the index the previous one billed up to; an actual index reconciles the self-read", async () => {
    const path = join(dir, "september.csv");
    await writeFile(path, [
      "delivery_point,date,source,register,value",
      `${PDL.tele},2026-09-15,teleRead,BASE,1600`,
      `${PDL.self},2026-09-15,distributorActual,BASE,2590`,
    ].join("\n"));
    expect(await importReadsFile(t.store, path, "2026-09-15")).toMatchObject({ acceptedReads: 2, rejected: [] });
    const s = await runCommand(t.store, { date: "2026-09-15", progress: false, allowDate: true });
    expect(s.failures).toEqual([]);
    const tele = (await invoiceOf("KR-TELE", "2026-09-15")).document;
    expect(tele.indexes.find((x) => x.date === "2026-08-15")).toMatchObject({ basis: "billed", index: "1310", source: "teleRead" });
    const self = (await invoiceOf("KR-SELF", "2026-09-15")).document;
    expect(self.indexes.find((x) => x.date === "2026-08-15")).toMatchObject({ basis: "billed", index: "2300", source: "selfRead" });
    expect(self.consumption).toMatchObject({ source: "distributorActual", estimated: false, actualReadDate: "2026-09-15" });
    // 2590 − 2300 already billed = 290 kWh.
    expect(self.lines.filter((l) => l.kind === "energy").map((l) => l.quantity)).toEqual(["290"]);
  });

  it("R2 a file imported in batches stores the same rows as in one go; a conflict across batches is caught against what is on record", async () => {
    const path = join(dir, "batched.csv");
    await writeFile(path, [
      "delivery_point,date,source,register,value,received_on",
      `${PDL.peer},2026-09-01,selfRead,BASE,4500,2026-09-01`,
      `${PDL.peer},2026-09-02,selfRead,BASE,4510,2026-09-02`,
      `${PDL.peer},2026-09-03,selfRead,BASE,4520,2026-09-03`,
      `${PDL.peer},2026-09-01,selfRead,BASE,4501,2026-09-03`,
      `${PDL.peer},2026-09-04,selfRead,oops,4530,2026-09-04`,
    ].join("\n"));
    // Two rows per transaction: lines 2–3, 4–5, 6.
    const r = await importReadsFile(t.store, path, "2026-09-04", 2);
    expect(r).toMatchObject({ rows: 5, acceptedReads: 3, storedRejected: 2, alreadyKnown: 0 });
    expect(r.rejected.map((x) => [x.lineNo, x.reason])).toEqual([
      [5, "value: conflicts with the index already received on 2026-09-01 for 2026-09-01 BASE (selfRead): 4500 (here 4501)"],
      [6, 'register: "oops" must be one of BASE, HP, HC'],
    ]);
    // Again, in one batch: every row already on record.
    expect(await importReadsFile(t.store, path, "2026-09-04")).toMatchObject({ rows: 5, acceptedReads: 0, storedRejected: 0, alreadyKnown: 5 });
  });

  it("R2 billing reads list says which invoice used each read, and which rejected a self-read and why", async () => {
    const august = (await invoiceOf("KR-SELF", "2026-08-15")).invoice.number;
    const september = (await invoiceOf("KR-SELF", "2026-09-15")).invoice.number;
    const entries = (await listReceived(db(), PDL.self)).filter((e) => e.status === "accepted");
    const uses = await loadConsumptionUses(db(), ["KR-SELF"]);
    expect(entries.map((e) => [e.date, e.source, billingUseOf(e, uses)])).toEqual([
      ["2026-07-15", "distributorActual", ""],
      ["2026-08-15", "selfRead", `used by ${august}`],
      ["2026-09-15", "distributorActual", `used by ${september}`],
    ]);
  });
});
