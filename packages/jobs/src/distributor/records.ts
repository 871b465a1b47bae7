/**
 * Reading the distributor's file: CSV (header line, `,` or `;`, BOM, quotes) through csv-parse, or
 * JSON Lines (one object per line), as records of text cells with their line numbers.
 *
 * Kept to the shape of the shared import reader (packages/jobs/src/import/records.ts, being built on
 * another branch: `readRecords(source, { columns })` yielding `{ ok, line, fields, raw }`), so the
 * importer switches to it by replacing this file's one function.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse } from "csv-parse/sync";

export type DistributorRecord =
  | { readonly ok: true; readonly line: number; readonly fields: Readonly<Record<string, string>>; readonly raw: string }
  | { readonly ok: false; readonly line: number; readonly field: string; readonly reason: string; readonly raw: string };

export class DistributorFileError extends Error {
  override readonly name = "DistributorFileError";
}

export type RecordSource = { readonly path: string } | { readonly text: string; readonly name?: string };

const cell = (v: unknown): string => (v === null || v === undefined ? "" : String(v).trim());

export async function readDistributorRecords(source: RecordSource, columns: readonly string[]): Promise<DistributorRecord[]> {
  let text: string;
  const name = "path" in source ? source.path : (source.name ?? "");
  if ("path" in source) {
    try {
      text = await readFile(source.path, "utf8");
    } catch (e) {
      throw new DistributorFileError(`${source.path}: cannot read the file (${e instanceof Error ? e.message : String(e)})`);
    }
  } else text = source.text;
  text = text.replace(/^\uFEFF/, "");
  const known = new Set(columns);
  const ext = extname(name).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") {
    const out: DistributorRecord[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      if (raw.trim() === "") return;
      let o: unknown;
      try {
        o = JSON.parse(raw);
      } catch (e) {
        out.push({ ok: false, line: i + 1, field: "row", reason: `not a JSON object (${e instanceof Error ? e.message : String(e)})`, raw });
        return;
      }
      if (o === null || typeof o !== "object" || Array.isArray(o)) {
        out.push({ ok: false, line: i + 1, field: "row", reason: "not a JSON object", raw });
        return;
      }
      const unknown = Object.keys(o).find((k) => !known.has(k));
      if (unknown) {
        out.push({ ok: false, line: i + 1, field: unknown, reason: `is not a column of the distributor file (${columns.join(", ")})`, raw });
        return;
      }
      out.push({ ok: true, line: i + 1, fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, cell(v)])), raw });
    });
    return out;
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = firstLine.includes(";") && !firstLine.includes(",") ? ";" : ",";
  let rows: { record: string[]; info: { lines: number; raw?: string } }[];
  try {
    rows = parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, raw: true }) as never;
  } catch (e) {
    throw new DistributorFileError(`${name || "file"}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (rows.length === 0) throw new DistributorFileError(`${name || "file"}: empty file (a header line is required)`);
  const header = rows[0]!.record.map((h) => h.trim());
  const unknown = header.find((h) => !known.has(h));
  if (unknown !== undefined) throw new DistributorFileError(`${name || "file"}: line 1: column "${unknown}" is not a column of the distributor file (${columns.join(", ")})`);
  const out: DistributorRecord[] = [];
  for (const r of rows.slice(1)) {
    const raw = (r.info.raw ?? r.record.join(delimiter)).replace(/^(\r?\n)+/, "").replace(/\r?\n$/, "");
    const line = r.info.lines;
    if (r.record.every((c) => c.trim() === "")) continue;
    if (r.record.length !== header.length) {
      out.push({ ok: false, line, field: "row", reason: `has ${r.record.length} fields, the header ${header.length}`, raw });
      continue;
    }
    out.push({ ok: true, line, fields: Object.fromEntries(header.map((h, i) => [h, cell(r.record[i])])), raw });
  }
  return out;
}
