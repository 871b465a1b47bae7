/**
 * Tests only: the reference data the engine ships (packages/db/reference-data), applied in folder order
 * with each file's `close` and `remove` entries, as the migrations load it; and the research CSVs of
 * shared/reference it comes from, when present next to the repository (or next to the main checkout of
 * a worktree). Never imported by the engine (the core reads no file): only by its tests.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ShippedRow {
  series: string;
  key: string;
  validFrom: string;
  validTo: string | null;
  value: Record<string, unknown>;
  source: string;
}
interface DataFile {
  rows: ShippedRow[];
  close?: Omit<ShippedRow, "value" | "source">[];
  remove?: Pick<ShippedRow, "series" | "key" | "validFrom">[];
}

const DATA_DIR = fileURLToPath(new URL("../../packages/db/reference-data/", import.meta.url));

/** Every shipped row in force after the last data file, as the migrations leave the store. */
export function shippedRows(): ShippedRow[] {
  const shipped: ShippedRow[] = [];
  const same = (r: ShippedRow, c: { series: string; key: string; validFrom: string }) => r.series === c.series && r.key === c.key && r.validFrom === c.validFrom;
  for (const folder of readdirSync(DATA_DIR).sort()) {
    for (const name of readdirSync(join(DATA_DIR, folder)).filter((n) => n.endsWith(".json")).sort()) {
      const file = JSON.parse(readFileSync(join(DATA_DIR, folder, name), "utf8")) as DataFile;
      for (const c of file.close ?? []) shipped.filter((r) => same(r, c) && r.validTo === null).forEach((r) => (r.validTo = c.validTo));
      for (const c of file.remove ?? []) shipped.splice(0, shipped.length, ...shipped.filter((r) => !same(r, c)));
      shipped.push(...file.rows.map((r) => ({ ...r })));
    }
  }
  return shipped;
}

/** shared/reference: the folder searched up from here; null when this checkout has none near it. */
export function sharedReferenceDir(): string | null {
  for (let d = fileURLToPath(new URL(".", import.meta.url)); d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, "shared/reference/turpe_bt_le36kva.csv"))) return join(d, "shared/reference");
  }
  return null;
}
