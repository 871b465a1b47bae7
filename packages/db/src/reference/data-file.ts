/**
 * Reference data files (`packages/db/reference-data/NNNN/*.json`): the versioned, sourced data of
 * record that migrations load into `reference_value`. One folder per migration; each file holds
 * rows `{ series, key, validFrom, validTo (exclusive, null = open), value, source, confidence }`
 * and optionally `close` — open rows of earlier migrations to end on a date (a new TURPE version
 * closes the previous one). See docs/reference-data.md.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { REFERENCE_SERIES, type ReferenceSeries } from "../schema.ts";

export interface ReferenceDataRow {
  readonly series: ReferenceSeries;
  readonly key: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  readonly value: Record<string, unknown>;
  readonly source: string;
  readonly confidence: string;
}

export interface CloseRow {
  readonly series: ReferenceSeries;
  readonly key: string;
  readonly validFrom: string;
  readonly validTo: string;
}

export interface ReferenceDataFile {
  readonly path: string;
  readonly description: string;
  readonly close: readonly CloseRow[];
  /** Rows of earlier migrations to delete (a gap the new figures fill): { series, key, validFrom }. */
  readonly remove: readonly Omit<CloseRow, "validTo">[];
  readonly rows: readonly ReferenceDataRow[];
}

/** The repository's `packages/db/reference-data` folder. */
export function referenceDataDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../reference-data");
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function fail(path: string, where: string, why: string): never {
  throw new Error(`${path}: ${where}: ${why}`);
}

function checkSeries(path: string, where: string, s: unknown): ReferenceSeries {
  if (typeof s !== "string" || !(REFERENCE_SERIES as readonly string[]).includes(s)) {
    fail(path, where, `series must be one of ${REFERENCE_SERIES.join(", ")}`);
  }
  return s as ReferenceSeries;
}

/** Parses and checks one data file (shape, dates, `validTo` after `validFrom`, a source on every row). */
export function parseDataFile(path: string, text: string): ReferenceDataFile {
  const doc = JSON.parse(text) as { description?: unknown; close?: unknown; remove?: unknown; rows?: unknown };
  if (typeof doc.description !== "string") fail(path, "description", "must be a string");
  if (!Array.isArray(doc.rows)) fail(path, "rows", "must be an array");
  const rows = doc.rows.map((r: Record<string, unknown>, i: number): ReferenceDataRow => {
    const at = `rows[${i}]`;
    const series = checkSeries(path, at, r["series"]);
    const { key, validFrom, validTo, value, source, confidence } = r;
    if (typeof key !== "string") fail(path, at, "key must be a string ('' when the series has none)");
    if (typeof validFrom !== "string" || !DATE.test(validFrom)) fail(path, at, "validFrom must be YYYY-MM-DD");
    if (validTo !== null && (typeof validTo !== "string" || !DATE.test(validTo) || validTo <= validFrom)) {
      fail(path, at, "validTo must be null or a YYYY-MM-DD date after validFrom (exclusive)");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, at, "value must be an object");
    if (typeof source !== "string" || source.length === 0) fail(path, at, "source is required");
    if (typeof confidence !== "string" || confidence.length === 0) fail(path, at, "confidence is required");
    if (series === "gap") {
      const v = value as Record<string, unknown>;
      if (typeof v["series"] !== "string" || typeof v["key"] !== "string" || typeof v["reason"] !== "string" || v["reason"] === "") {
        fail(path, at, "a gap's value is { series, key, reason }");
      }
      const expected = v["key"] === "" ? v["series"] : `${v["series"]}/${v["key"]}`;
      if (key !== expected) fail(path, at, `a gap's key must be "${expected}"`);
    }
    return { series, key, validFrom, validTo: validTo as string | null, value: value as Record<string, unknown>, source, confidence };
  });
  const close = ((doc.close ?? []) as Record<string, unknown>[]).map((c, i): CloseRow => {
    const at = `close[${i}]`;
    const series = checkSeries(path, at, c["series"]);
    if (typeof c["key"] !== "string" || typeof c["validFrom"] !== "string" || typeof c["validTo"] !== "string") {
      fail(path, at, "close rows are { series, key, validFrom, validTo }");
    }
    return { series, key: c["key"], validFrom: c["validFrom"], validTo: c["validTo"] };
  });
  const remove = ((doc.remove ?? []) as Record<string, unknown>[]).map((c, i) => {
    const series = checkSeries(path, `remove[${i}]`, c["series"]);
    if (typeof c["key"] !== "string" || typeof c["validFrom"] !== "string") fail(path, `remove[${i}]`, "remove rows are { series, key, validFrom }");
    return { series, key: c["key"], validFrom: c["validFrom"] };
  });
  return { path, description: doc.description, close, remove, rows };
}

/** Every data file of one folder (e.g. `reference-data/0003`), in file-name order. */
export async function readDataFolder(dir: string): Promise<ReferenceDataFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  return Promise.all(names.map(async (n) => parseDataFile(join(dir, n), await readFile(join(dir, n), "utf8"))));
}

/** Every data file of every folder, in folder then file order: the data the migrations load. */
export async function readAllReferenceData(root: string = referenceDataDir()): Promise<ReferenceDataFile[]> {
  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const out: ReferenceDataFile[] = [];
  for (const f of folders) out.push(...(await readDataFolder(join(root, f))));
  return out;
}
