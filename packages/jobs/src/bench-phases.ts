/**
 * `pnpm bench:phases [--date D] [--contracts N] [--reps R]`: where the nightly run's Node CPU goes,
 * phase by phase, on one chunk of due contracts already read from the store (no database in the timed
 * part). Prints CPU µs per contract for building the case, computing the invoices, trimming and hashing
 * the stored input, and serialising and hashing the documents. A script that prints figures, not a
 * timed test (figures and their reading in docs/performance.md).
 *
 * Store: `DATABASE_URL`, or `--data-dir` for an embedded one; it must hold due contracts (e.g. after
 * `billing demo seed`), and nothing is written to it.
 */
import { createHash } from "node:crypto";
import { Command } from "commander";
import { type Case, type Invoice, dates, dueInvoices, prepareReference } from "@billing/core";
import { type ContractRow, InvoiceEncoder, type MeterReadRow, SlabPool, type NewInvoice, canonicalJson, loadCustomers, loadOffers, loadReadsFor, loadReference, openStore, streamDueContracts } from "@billing/db";
import { buildCase, offerFromRows, referenceFromRows } from "./billing/case-builder.ts";
import { InputHasher } from "./billing/stored-input.ts";
import { parseDateOption, parsePositiveInt, todayInParis } from "./commands/context.ts";

const o = new Command("bench:phases")
  .description("Node CPU per contract of each phase of the nightly run, on one chunk in memory")
  .option("--date <YYYY-MM-DD>", "run date (default: today in Europe/Paris)")
  .option("--contracts <n>", "contracts in the chunk (default: 2000)", "2000")
  .option("--reps <n>", "repetitions of each phase (default: 10)", "10")
  .option("--data-dir <dir>", "embedded store folder when DATABASE_URL is not set (default: ./.billing)")
  .parse(process.argv)
  .opts<{ date?: string; contracts: string; reps: string; dataDir?: string }>();
const date = parseDateOption(o.date ?? todayInParis());
const size = parsePositiveInt(o.contracts, "--contracts");
const reps = parsePositiveInt(o.reps, "--reps");

const store = await openStore({ databaseUrl: process.env.DATABASE_URL, dataDir: o.dataDir });
let chunk: ContractRow[] = [];
let build: () => Case[];
try {
  const reference = referenceFromRows(await loadReference(store.db));
  const offers = new Map((await loadOffers(store.db)).map((x) => [x.id, offerFromRows(x)]));
  for await (const c of streamDueContracts(store.db, date, { chunkSize: size })) {
    chunk = c.filter((k) => k.billing_mode === "monthly");
    break;
  }
  if (chunk.length === 0) {
    process.stderr.write(`error: no monthly contract is due on ${date} in ${store.description} (seed one: billing demo seed --date ${date})\n`);
    await store.close();
    process.exit(2);
  }
  const customers = new Map((await loadCustomers(store.db, chunk.map((c) => c.customer_id))).map((c) => [c.id, c]));
  const earliest = chunk.reduce((m, c) => (c.next_billing_date! < m ? c.next_billing_date! : m), date);
  const reads = await loadReadsFor(store.db, chunk.map((c) => c.id), dates.addDays(earliest, -101), date);
  const byContract = new Map<string, MeterReadRow[]>();
  for (const r of reads) byContract.set(r.contract_id, [...(byContract.get(r.contract_id) ?? []), r]);
  build = () => chunk.map((k) => buildCase({ customer: customers.get(k.customer_id)!, contract: k, offer: offers.get(k.offer_id)!, reference, reads: byContract.get(k.id) ?? [], asOf: date }));
} finally {
  await store.close();
}
const cases = build();

/** CPU µs per contract of `f` over the chunk, after one warm-up pass. */
function time(label: string, f: () => void): void {
  f();
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const u = process.cpuUsage(t0);
  process.stdout.write(`${label.padEnd(44)} ${((u.user + u.system) / reps / chunk.length).toFixed(1).padStart(7)} µs/contract\n`);
}

const billed: { c: Case; invoices: readonly Invoice[] }[] = [];
const prepared = prepareReference();
for (const c of cases) {
  const out = dueInvoices(c, { prepared });
  if (out.ok && out.invoices.length > 0) billed.push({ c, invoices: out.invoices });
}
const lines = billed.reduce((n, b) => n + b.invoices.reduce((m, i) => m + i.lines.length, 0), 0);
process.stdout.write(`${chunk.length} contracts due on ${date}, ${billed.length} billed, ${(lines / Math.max(1, billed.length)).toFixed(1)} lines per contract, ${reps} repetitions\n`);
time("build the case (rows → Case)", () => {
  build();
});
// One prepared reference per pass over the chunk, as the nightly run had one per chunk (issue 15; the
// figure earlier passes quote).
time("compute invoices (dueInvoices)", () => {
  const prepared = prepareReference();
  for (const c of cases) dueInvoices(c, { prepared });
});
// The nightly run now keeps one prepared reference for the run (night/compute.ts): after its first
// chunks, what a chunk's contracts share is already derived.
time("compute invoices (dueInvoices, the run's memo)", () => {
  for (const c of cases) dueInvoices(c, { prepared });
});
time("stored input (trim, canonical JSON, sha256)", () => {
  const h = new InputHasher();
  for (const b of billed) h.storedInput(b.c, b.invoices);
});
time("document canonical JSON", () => {
  for (const b of billed) for (const inv of b.invoices) canonicalJson(inv);
});
const texts = billed.flatMap((b) => b.invoices.map((inv) => canonicalJson(inv)));
time("document sha256 (of its JSON)", () => {
  for (const t of texts) createHash("sha256").update(t).digest("hex");
});
// The night encodes each invoice for the COPY write once computed (PostgreSQL: night/compute.ts, finishContract).
const toEncode = (() => {
  const h = new InputHasher();
  return billed.flatMap((b): NewInvoice[] => {
    const input = h.storedInput(b.c, b.invoices);
    return b.invoices.map((document) => ({ document, seriesPrefix: b.c.contract.invoiceSeries, runId: 1, engineVersion: "bench", input }));
  });
})();
time("encode for the COPY write (InvoiceEncoder)", () => {
  const encoder = new InvoiceEncoder();
  for (const inv of toEncode) encoder.encode(inv);
});
// As the nightly run does (issue 15, fifth pass): each chunk's encoder writes into the slabs of the chunks written before it.
const slabs = new SlabPool();
time("encode for the COPY write, slabs reused", () => {
  const encoder = new InvoiceEncoder(slabs);
  for (const inv of toEncode) encoder.encode(inv);
  encoder.release();
});
