/**
 * `billing reference show --at <date>`: every reference value in force that day with its source
 * (TURPE per tariff formula, excise, CTA, VAT regime, capacity, legal interest rates, distributor
 * catalogue), what is known to be unknown ("unknown (reason)"), warnings where a value is applied
 * although an expected change was not found, the public holidays of the year and — with --kva,
 * --option or --formula — the network part a contract would be billed that day (R6).
 */
import type { Command } from "commander";
import {
  type Case,
  type PriceOption,
  CAPACITY_LEVY_FROM,
  TARIFF_FORMULAS,
  networkPartAt,
  publicHolidays,
} from "@billing/core";
import { type ReferenceSeries, type ReferenceValueRow, loadReference, migrateOrThrow } from "@billing/db";
import { referenceFromRows } from "../billing/case-builder.ts";
import { type StoreOptions, UsageError, osUser, parseDateOption, parsePositiveInt, storeNow, withStore } from "./context.ts";
import { readFile } from "node:fs/promises";
import { formatImportPlan, importReferenceData } from "../reference/import-plan.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";

type Formula = Case["contract"]["tariffFormula"];
type Rows = Partial<Record<ReferenceSeries, ReferenceValueRow[]>>;

export interface ReferenceItem {
  readonly series: ReferenceSeries;
  readonly key: string;
  readonly status: "inForce" | "unknown" | "noData";
  readonly from?: string;
  readonly to?: string | null;
  readonly value?: unknown;
  readonly source?: string;
  /** Why the value is unknown (status unknown), or why the value in force is unconfirmed (a warning). */
  readonly reason?: string;
  readonly warning?: string;
}

export interface ReferenceReport {
  readonly at: string;
  readonly items: readonly ReferenceItem[];
  readonly network: ReturnType<typeof networkPartAt> | null;
  readonly holidays: { year: number; department: string | null; dates: { date: string; name: string }[] };
}

export interface ReferenceShowOptions {
  readonly at: string;
  readonly kva?: number | undefined;
  readonly option?: PriceOption | undefined;
  readonly formula?: Formula | undefined;
  readonly department?: string | undefined;
}

const SHOWN: readonly ReferenceSeries[] = ["networkTariff", "excise", "cta", "vat", "capacity", "capacityLevy", "legalInterestRate", "distributorCatalogue"];

const inForce = (r: { valid_from: string; valid_to: string | null }, d: string) => r.valid_from <= d && (r.valid_to === null || d < r.valid_to);

/** The report of what is in force on `o.at`, from the store's reference rows (pure). */
export function referenceReport(rows: Rows, o: ReferenceShowOptions): ReferenceReport {
  const d = o.at;
  const gaps = (rows.gap ?? []).filter((g) => inForce(g, d)).map((g) => ({ row: g, v: g.value as { series: string; key: string; reason: string } }));
  const gapFor = (series: string, key: string) => gaps.find((g) => g.v.series === series && (g.v.key === "" || g.v.key === key));
  const items: ReferenceItem[] = [];
  for (const series of SHOWN) {
    // The levy has no value to show before it exists (R7 transition), the capacity obligation none after.
    if (series === "capacityLevy" && d < CAPACITY_LEVY_FROM) continue;
    if (series === "capacity" && d >= CAPACITY_LEVY_FROM) continue;
    const list = rows[series] ?? [];
    const keys = [...new Set([...list.map((r) => r.key), ...gaps.filter((g) => g.v.series === series && g.v.key !== "").map((g) => g.v.key)])].sort();
    if (keys.length === 0) keys.push("");
    for (const key of keys) {
      // The latest start wins, as in the core's series lookup.
      const row = list.filter((r) => r.key === key && inForce(r, d)).sort((a, b) => (a.valid_from < b.valid_from ? 1 : -1))[0];
      const gap = gapFor(series, key);
      if (row) {
        items.push({
          series, key, status: "inForce", from: row.valid_from, to: row.valid_to, value: row.value, source: row.source,
          ...(gap ? { warning: `unconfirmed: ${gap.v.reason}` } : {}),
        });
      } else if (gap) {
        items.push({ series, key, status: "unknown", from: gap.row.valid_from, to: gap.row.valid_to, reason: gap.v.reason, source: gap.row.source });
      } else {
        items.push({ series, key, status: "noData" });
      }
    }
  }
  let network: ReferenceReport["network"] = null;
  if (o.kva !== undefined || o.option !== undefined || o.formula !== undefined) {
    const formula: Formula = o.formula ?? (o.option === "HPHC" ? "BTINFMUDT" : "BTINFCUST");
    const reference = referenceFromRows(rows);
    network = networkPartAt(reference, formula, d, { kva: o.kva, option: o.option ?? (formula === "BTINFCUST" || formula === "BTINFLU" ? "BASE" : "HPHC") });
  }
  const year = Number(d.slice(0, 4));
  return {
    at: d,
    items,
    network,
    holidays: { year, department: o.department ?? null, dates: publicHolidays(year, o.department).map((h) => ({ date: h.date, name: h.name })) },
  };
}

function formatValue(series: ReferenceSeries, v: unknown): string {
  const o = v as Record<string, unknown>;
  switch (series) {
    case "networkTariff": {
      const e = o["energyPerKwh"] as Record<string, string>;
      return `${o["version"] ?? ""}: CG ${o["managementPerYear"]} + CC ${o["meteringPerYear"]} €/yr, b ${o["withdrawalPerKvaPerYear"]} €/kVA/yr, energy ${Object.entries(e).map(([b, p]) => `${b} ${p}`).join(" · ")} €/kWh (HT)`;
    }
    case "excise":
    case "capacityLevy":
      return `${o["eurPerMwh"]} €/MWh`;
    case "cta":
      return `${o["ratePct"]} % of the TURPE fixed part`;
    case "vat":
      return `subscription ${o["subscriptionPct"]} %, CTA ${o["ctaPct"]} %, energy ${o["energyPct"]} %, excise ${o["excisePct"]} %`;
    case "legalInterestRate":
      return `${o["consumerPct"]} % (creditor a natural person), ${o["otherPct"]} % (other cases)`;
    case "distributorCatalogue":
      return `${o["price"]} ${o["unit"]} (${o["taxBasis"]})`;
    default:
      return JSON.stringify(v);
  }
}

/** The report as the text `billing reference show` prints. */
export function formatReferenceReport(r: ReferenceReport): string {
  const out: string[] = [`Reference data in force on ${r.at}`, ""];
  for (const i of r.items) {
    const name = i.key ? `${i.series} ${i.key}` : i.series;
    const span = i.from ? ` [${i.from}..${i.to ?? ""})` : "";
    if (i.status === "inForce") {
      out.push(`  ${name}: ${formatValue(i.series, i.value)}${span}`, `      source: ${i.source}`);
      if (i.warning) out.push(`      warning: ${i.warning}`);
    } else if (i.status === "unknown") {
      out.push(`  ${name}: unknown (${i.reason})${span}`, `      source: ${i.source}`);
    } else {
      out.push(`  ${name}: no data`);
    }
  }
  if (r.network) {
    out.push("", "Network part (R6)");
    if ("error" in r.network) out.push(`  unknown: ${r.network.error}`);
    else {
      const n = r.network;
      out.push(`  ${n.tariffFormula} ${n.version}`);
      if (n.fixedMonthlyHt !== null) out.push(`  fixed part: ${n.fixedMonthlyHt} € HT/month (CG + CC + b × kVA) / 12`);
      for (const e of n.energy) out.push(`  energy ${e.register}: ${e.error ?? `${e.perKwhHt ?? "no price"} € HT/kWh [band ${e.band}]`}`);
    }
  }
  out.push("", `Public holidays ${r.holidays.year}${r.holidays.department ? ` (department ${r.holidays.department})` : " (metropolitan)"}`);
  for (const h of r.holidays.dates) out.push(`  ${h.date}  ${h.name}`);
  return out.join("\n");
}

interface CliOptions { at?: string; kva?: string; option?: string; formula?: string; department?: string; json?: boolean }

export function parseReferenceOptions(o: CliOptions): ReferenceShowOptions {
  if (!o.at) throw new UsageError("--at <YYYY-MM-DD> is required");
  const at = parseDateOption(o.at, "--at");
  if (o.option !== undefined && o.option !== "BASE" && o.option !== "HPHC") throw new UsageError(`--option: "${o.option}" is not BASE or HPHC`);
  if (o.formula !== undefined && !(TARIFF_FORMULAS as readonly string[]).includes(o.formula)) {
    throw new UsageError(`--formula: "${o.formula}" is not one of ${TARIFF_FORMULAS.join(", ")}`);
  }
  return {
    at,
    kva: o.kva === undefined ? undefined : parsePositiveInt(o.kva, "--kva"),
    option: o.option as PriceOption | undefined,
    formula: o.formula as Formula | undefined,
    department: o.department,
  };
}

export function registerReference(program: Command, storeOptions: () => StoreOptions): void {
  const reference = program.command("reference").description("Regulatory reference data shipped with the engine (TURPE, taxes, capacity, legal rates, catalogue)");
  reference
    .command("show")
    .description("Every reference value in force on a date with its source; gaps shown as unknown (reason)")
    .option("--at <YYYY-MM-DD>", "the day to show (required)")
    .option("--kva <n>", "subscribed kVA: also show the network fixed part per month")
    .option("--option <BASE|HPHC>", "price option: also show the network energy price per register")
    .option("--formula <FTA>", "tariff formula (default: BTINFCUST for BASE, BTINFMUDT for HPHC)")
    .option("--department <code>", "department of the holiday calendar (57, 67, 68 add two days) (default: metropolitan)")
    .option("--json", "print the report as JSON (default: text)")
    .action(async (o: CliOptions) => {
      const opts = parseReferenceOptions(o);
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store); // the reference data ships with the migrations
        const report = referenceReport(await loadReference(store.db), opts);
        process.stdout.write((o.json ? JSON.stringify(report, null, 2) : formatReferenceReport(report)) + "\n");
      });
    });
  reference
    .command("import <file>")
    .description(
      "Load dated reference figures the supplier has (a capacity levy rate, a new TURPE grid, a legal interest rate) from a data file in the shipped format, each row with its source: " +
        "checked (known series, value shape, no overlap with the rows of the same series and key, no hole), the gaps it fills closed, an open previous row ended on the new row's start; " +
        "recorded with who loaded it and when. Invoices already issued keep what they were computed with (docs/reference-data.md)",
    )
    .option("--by <name>", "who loads it, recorded with the import (default: the OS user)")
    .option("--dry-run", "check the file and print what would change, store nothing")
    .option("--json", "print the plan as JSON (default: readable text)")
    .action(async (file: string, o: { by?: string; dryRun?: boolean; json?: boolean }) => {
      const by = o.by ?? osUser();
      if (by.trim() === "") throw new UsageError("--by: give a name");
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch (e) {
        throw new UsageError(`${file}: cannot read the file (${(e as Error).message})`);
      }
      await withStore(storeOptions(), async (store) => {
        await migrateOrThrow(store);
        // "When" is the store's clock, read here at the edge (as the run date guard does).
        const at = await storeNow(store);
        const r = await importReferenceData(store, file, text, { by, at, dryRun: o.dryRun === true });
        if (!r.ok) {
          process.stderr.write(`error: ${file}: refused (${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}), nothing loaded:\n${r.problems.map((p) => `  ${p}\n`).join("")}`);
          reachExitCode(EXIT.usage);
          return;
        }
        const atText = at instanceof Date ? at.toISOString() : String(at);
        process.stdout.write(
          (o.json ? JSON.stringify({ ...r.plan, importId: r.importId, by, at: atText, dryRun: o.dryRun === true }, null, 2) : formatImportPlan(r.plan, { dryRun: o.dryRun === true, ...(r.importId !== null ? { importId: r.importId } : {}), by, at: atText })) + "\n",
        );
      });
    });
}

