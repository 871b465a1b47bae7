/**
 * `pnpm tsx packages/jobs/src/bench-peers.ts --database <name> --date D [--rounds 3]`: times R2 3.3's
 * peer averages (computePeerAverages) on one connection and on two sharing a snapshot (issue 15, the
 * night's set-up), alternated 1, 2, 2, 1, 1, 2…, on a store a bench already seeded (`pnpm bench
 * --database <name>`, on DATABASE_URL's server). Each run recomputes version D: the version is removed
 * before each run (triggers off for that one delete: the bench's own database), and each run's rows must
 * equal those the first stored. A script that prints figures (docs/performance.md), not a test.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { sql } from "kysely";
import pg from "pg";
import { computePeerAverages, openStore } from "@billing/db";
import { parseDateOption, parsePositiveInt } from "./commands/context.ts";

const o = new Command("bench-peers")
  .requiredOption("--database <name>", "the seeded bench database on DATABASE_URL's server")
  .requiredOption("--date <YYYY-MM-DD>", "the version recomputed")
  .option("--rounds <n>", "pairs of runs (one connection, two)", "3")
  .parse(process.argv)
  .opts<{ database: string; date: string; rounds: string }>();
if (!/^[a-z_][a-z0-9_]*$/.test(o.database)) throw new Error(`--database must be a plain lower-case name, got "${o.database}"`);
const server = process.env.DATABASE_URL;
if (!server) throw new Error("DATABASE_URL: the server holding the bench database");
const url = new URL(server);
url.pathname = `/${o.database}`;
const version = parseDateOption(o.date);
const rounds = parsePositiveInt(o.rounds, "--rounds");

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const store = await openStore({ databaseUrl: url.toString() });
const admin = new pg.Client({ connectionString: url.toString() });
await admin.connect();
const rowsOf = async () =>
  (await sql<{ r: string }>`select concat_ws('|', price_option, register, month, kva_band, kwh_per_day::text, kwh::text, contract_days, sample_size) as r
    from peer_average where version = ${version}::date order by price_option, register, month, kva_band`.execute(store.db)).rows.map((x) => x.r).join("\n");
const removeVersion = async () => {
  await admin.query("begin; set local session_replication_role = replica");
  await admin.query("delete from peer_average where version = $1", [version]);
  await admin.query("commit");
};
try {
  const contracts = (await sql<{ n: number }>`select count(*)::int as n from contract`.execute(store.db)).rows[0]!.n;
  process.stdout.write(`peer averages of ${version} on ${contracts.toLocaleString("en-US")} contracts, load ${loadavg()}\n`);
  let reference: string | undefined;
  const order = Array.from({ length: rounds }, (_, i) => (i % 2 === 0 ? [1, 2] : [2, 1])).flat();
  for (const parallel of order) {
    await removeVersion();
    const t0 = process.hrtime.bigint();
    const r = await computePeerAverages(store.db, version, { parallel });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const rows = await rowsOf();
    reference ??= rows;
    const same = rows === reference;
    process.stdout.write(`  parallel ${parallel}: ${seconds.toFixed(2)} s, ${r.stored} rows${same ? ", same rows" : ", ROWS DIFFER"} (load ${loadavg()})\n`);
    if (!same) process.exitCode = 1;
  }
} finally {
  await admin.end();
  await store.close();
}
