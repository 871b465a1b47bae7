#!/usr/bin/env node
/**
 * Generates the SQL migration that loads one folder of reference data files:
 *
 *   npx tsx packages/db/src/reference/generate-migration.ts 0005 turpe_2026_08
 *
 * reads `packages/db/reference-data/0005/*.json` and writes `migrations/0005_turpe_2026_08.sql`:
 * the series CHECK of `reference_value` restated from REFERENCE_SERIES, the `close` updates and `remove` deletes, then
 * one insert per row (the row's confidence appended to its source). Never regenerate a migration
 * already applied somewhere: its checksum is recorded (docs/reference-data.md).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { migrationsDir } from "../migrate.ts";
import { REFERENCE_SERIES } from "../schema.ts";
import { type ReferenceDataFile, readDataFolder, referenceDataDir } from "./data-file.ts";

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The SQL text of a migration loading `files` (pure: tested against the committed 0003). */
export function migrationSql(version: string, files: readonly ReferenceDataFile[]): string {
  const out: string[] = [
    `-- ${version} — reference data generated from packages/db/reference-data/${version}/*.json by`,
    `-- packages/db/src/reference/generate-migration.ts. Do not edit by hand: edit the data files, regenerate.`,
    `-- Dates: valid_from included, valid_to excluded. Gaps stay gaps (series 'gap', docs/reference-data.md).`,
    "",
    "alter table reference_value drop constraint if exists reference_value_series_check;",
    `alter table reference_value add constraint reference_value_series_check check (series in (${REFERENCE_SERIES.map(lit).join(", ")}));`,
  ];
  for (const f of files) {
    const rel = f.path.slice(f.path.indexOf("reference-data"));
    out.push("", `-- ${rel}: ${f.description}`);
    for (const c of f.close) {
      out.push(
        `update reference_value set valid_to = ${lit(c.validTo)} where series = ${lit(c.series)} and key = ${lit(c.key)} and valid_from = ${lit(c.validFrom)} and valid_to is null;`,
      );
    }
    for (const r of f.remove) {
      out.push(`delete from reference_value where series = ${lit(r.series)} and key = ${lit(r.key)} and valid_from = ${lit(r.validFrom)};`);
    }
    if (f.rows.length === 0) continue;
    out.push("insert into reference_value (series, key, valid_from, valid_to, value, source) values");
    out.push(
      f.rows
        .map(
          (r) =>
            `  (${lit(r.series)}, ${lit(r.key)}, ${lit(r.validFrom)}, ${r.validTo === null ? "null" : lit(r.validTo)}, ${lit(JSON.stringify(r.value))}::jsonb, ${lit(`${r.source} (confidence ${r.confidence})`)})`,
        )
        .join(",\n") + ";",
    );
  }
  return out.join("\n") + "\n";
}

async function main(argv: string[]): Promise<void> {
  const [version, name] = argv;
  if (!version || !/^\d{4}$/.test(version) || !name || !/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new Error("usage: generate-migration.ts <NNNN> <name>   (reads packages/db/reference-data/NNNN/*.json)");
  }
  const files = await readDataFolder(join(referenceDataDir(), version));
  if (files.length === 0) throw new Error(`no data file in packages/db/reference-data/${version}`);
  const target = join(migrationsDir(), `${version}_${name}.sql`);
  await writeFile(target, migrationSql(version, files));
  process.stdout.write(`wrote ${target} (${files.reduce((n, f) => n + f.rows.length, 0)} rows from ${files.length} files)\n`);
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!);
if (isMain) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
