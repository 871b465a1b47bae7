/**
 * The one reader of every imported file (reads, payments, customers, contracts, offers, contract
 * events; docs/imports.md): CSV through csv-parse (streaming) or JSON Lines, as a stream of records
 * with their line numbers, so a file of any size is read in constant memory.
 *
 * CSV: a header line naming the columns (any order, case-insensitive), then one record per line; the
 * separator is `,` or `;`, whichever the header uses; UTF-8 with or without a BOM; fields may be
 * "quoted" (a quote inside written "", line breaks allowed inside quotes); CRLF or LF; blank lines and
 * lines of empty fields are skipped; cells are trimmed.
 * JSON Lines: one JSON object per line whose keys are the same column names; a value is a string,
 * a number, a boolean or null (given to the importer as text: 6 → "6", true → "true", null → "").
 *
 * What is wrong with one record (a field count that is not the header's, a line that is not a JSON
 * object, an unknown key) is yielded as a {@link MalformedRecord} in its place and the file goes on;
 * what makes the whole file unreadable (unreadable path, no header, a header without a required
 * column, broken quoting, text that is not UTF-8) throws {@link ImportFileError}, possibly after
 * records were yielded: an importer stores nothing it has not finished reading (or says what it stored).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";

export const IMPORT_FORMATS = ["csv", "jsonl"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The columns a file may have: `required` must be in a CSV header; a JSONL key outside both is a bad record. */
export interface ImportColumns {
  readonly required: readonly string[];
  readonly optional?: readonly string[];
}

/** Where the records come from: a file, or text (tests, small payloads). */
export type ImportSource = { readonly path: string } | { readonly text: string; readonly name?: string };

/** One record of the file: its cells by column name, as text (trimmed); a column absent from the file is absent here. */
export interface SourceRecord {
  readonly ok: true;
  /** 1-based line where the record starts (the CSV header is line 1). */
  readonly line: number;
  readonly fields: Readonly<Record<string, string>>;
  /** The record as written in the file, without its line ending. */
  readonly raw: string;
}

/** A record that cannot be read as one: `field` names the column or key at fault ("row" for the whole record). */
export interface MalformedRecord {
  readonly ok: false;
  readonly line: number;
  readonly field: string;
  readonly reason: string;
  readonly raw: string;
  /** The cells that could be read, by column name (CSV: as far as the header goes). */
  readonly fields: Readonly<Record<string, string>>;
  /** CSV, a field count that is not the header's: the header's columns and the cells of the line. */
  readonly shape?: { readonly header: readonly string[]; readonly cells: readonly string[] };
}

export type ImportItem = SourceRecord | MalformedRecord;

/** The file cannot be imported at all (path, header, quoting, encoding): `line` when one is at fault. */
export class ImportFileError extends Error {
  override readonly name: string = "ImportFileError";
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A row an importer refused: its line, the field (column or key) at fault, why, and the row as written. */
export interface RowRejection {
  readonly line: number;
  readonly field: string;
  readonly reason: string;
  readonly raw: string;
}

export const formatRejection = (r: Pick<RowRejection, "line" | "field" | "reason">): string => `line ${r.line}: ${r.field}: ${r.reason}`;

/**
 * The format of a file: `given` (a `--format` option) when set, else `.jsonl`/`.ndjson` → jsonl and
 * anything else → csv. Throws ImportFileError for an unknown `given`.
 */
export function formatOf(nameOrPath: string | undefined, given?: string): ImportFormat {
  if (given !== undefined) {
    const g = given.toLowerCase();
    if (!(IMPORT_FORMATS as readonly string[]).includes(g)) throw new ImportFileError(`--format: "${given}" is not one of ${IMPORT_FORMATS.join(", ")}`);
    return g as ImportFormat;
  }
  const ext = nameOrPath === undefined ? "" : extname(nameOrPath).toLowerCase();
  return ext === ".jsonl" || ext === ".ndjson" ? "jsonl" : "csv";
}

export interface ReadRecordsOptions {
  readonly columns: ImportColumns;
  /** (default: from the file name, see {@link formatOf}) */
  readonly format?: ImportFormat;
}

/** The records of a CSV or JSON Lines file, in file order, one at a time (constant memory). */
export async function* readRecords(source: ImportSource, opts: ReadRecordsOptions): AsyncGenerator<ImportItem> {
  const name = "path" in source ? source.path : source.name;
  const format = opts.format ?? formatOf(name);
  if (format === "jsonl") yield* readJsonLines(source, opts.columns);
  else yield* readCsv(source, opts.columns);
}

/** Reads a whole source into an array (small files and tests). */
export async function collectRecords(source: ImportSource, opts: ReadRecordsOptions): Promise<ImportItem[]> {
  const out: ImportItem[] = [];
  for await (const r of readRecords(source, opts)) out.push(r);
  return out;
}

// CSV ----------------------------------------------------------------------------------------------

async function* readCsv(source: ImportSource, columns: ImportColumns): AsyncGenerator<ImportItem> {
  const head = await firstLine(source);
  if (head === null) throw new ImportFileError(`the file is empty: expected a header line ${expected(columns)}`, 1);
  const delimiter = separatorOf(head);
  const parser = textStream(source)
    .pipe(crlfToLf())
    .pipe(
      parse({
        delimiter,
        record_delimiter: "\n",
        bom: true,
        trim: true,
        relax_quotes: true,
        relax_column_count: true,
        skip_empty_lines: true,
        info: true,
        raw: true,
      }),
    );
  let header: string[] | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; raw: string; info: { lines: number } }>) {
      const raw = item.raw.replace(/^\n+/, "").replace(/\n$/, "");
      const line = item.info.lines - (raw.match(/\n/g)?.length ?? 0);
      if (raw.includes("\uFFFD")) throw new ImportFileError(`line ${line}: the file is not UTF-8 text (save it as UTF-8, with or without a BOM)`, line);
      const cells = item.record;
      if (cells.every((c) => c === "")) continue;
      if (header === null) {
        header = headerOf(cells.map((c) => c.replace(/^\uFEFF/, "").trim().toLowerCase()), columns);
        continue;
      }
      const fields: Record<string, string> = {};
      header.forEach((h, i) => {
        if (i < cells.length) fields[h] = cells[i]!;
      });
      if (cells.length !== header.length) {
        yield { ok: false, line, field: "row", reason: `has ${plural(cells.length, "field")}, the header ${header.length} (${header.join(delimiter)})`, raw, fields, shape: { header, cells } };
      } else {
        yield { ok: true, line, fields, raw };
      }
    }
  } catch (e) {
    if (e instanceof ImportFileError) throw e;
    const err = e as Error & { code?: string; lines?: number };
    if (typeof err.code === "string" && err.code.startsWith("CSV_")) {
      throw new ImportFileError(`line ${err.lines ?? "?"}: not valid CSV: ${err.message.replace(/ at line \d+| on line \d+/, "")}`, err.lines);
    }
    throw e;
  }
  if (header === null) throw new ImportFileError(`the file is empty: expected a header line ${expected(columns)}`, 1);
}

/** The separator of a CSV file: `;` when its header line has more `;` than `,` outside quotes, else `,`. */
export function separatorOf(headerLine: string): "," | ";" {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ",") commas++;
    else if (!quoted && ch === ";") semicolons++;
  }
  return semicolons > commas ? ";" : ",";
}

function headerOf(names: string[], columns: ImportColumns): string[] {
  const known = [...columns.required, ...(columns.optional ?? [])];
  const unknown = names.filter((n) => !known.includes(n));
  const missing = columns.required.filter((c) => !names.includes(c));
  const twice = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  const problems = [
    ...(missing.length > 0 ? [`missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`] : []),
    ...(unknown.length > 0 ? [`unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => JSON.stringify(u)).join(", ")}`] : []),
    ...(twice.length > 0 ? [`column${twice.length > 1 ? "s" : ""} given twice: ${twice.join(", ")}`] : []),
  ];
  if (problems.length > 0) throw new ImportFileError(`line 1: header: ${problems.join("; ")} (expected ${expected(columns)})`, 1);
  return names;
}

const expected = (c: ImportColumns) => `${c.required.join(",")}${(c.optional ?? []).map((o) => `[,${o}]`).join("")}`;

/** The first non-blank line of the source (BOM removed), or null for an empty file; reads at most 64 KiB. */
async function firstLine(source: ImportSource): Promise<string | null> {
  let text: string;
  if ("text" in source) text = source.text.slice(0, 65_536);
  else {
    let fh;
    try {
      fh = await open(source.path, "r");
    } catch (e) {
      throw new ImportFileError(`cannot read ${source.path}: ${(e as Error).message}`);
    }
    try {
      const buf = Buffer.alloc(65_536);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString("utf8");
    } finally {
      await fh.close();
    }
  }
  const line = text.replace(/^\uFEFF/, "").split(/\r?\n/).find((l) => l.trim() !== "");
  return line ?? null;
}

function textStream(source: ImportSource): Readable {
  if ("text" in source) return Readable.from([source.text]);
  const s = createReadStream(source.path);
  s.setEncoding("utf8");
  return s;
}

/** CRLF → LF before csv-parse, so its line count (info.lines) and raw text are exact on Windows files. */
function crlfToLf(): Transform {
  let pendingCr = false;
  return new Transform({
    decodeStrings: false,
    encoding: "utf8",
    transform(chunk: string | Buffer, _enc: BufferEncoding, done: TransformCallback) {
      let s = (pendingCr ? "\r" : "") + chunk.toString();
      pendingCr = s.endsWith("\r");
      if (pendingCr) s = s.slice(0, -1);
      done(null, s.replace(/\r\n/g, "\n"));
    },
    flush(done: TransformCallback) {
      done(null, pendingCr ? "\r" : "");
    },
  });
}

// JSON Lines ---------------------------------------------------------------------------------------

async function* readJsonLines(source: ImportSource, columns: ImportColumns): AsyncGenerator<ImportItem> {
  if ("path" in source) {
    try {
      await open(source.path, "r").then((fh) => fh.close());
    } catch (e) {
      throw new ImportFileError(`cannot read ${source.path}: ${(e as Error).message}`);
    }
  }
  const known = new Set([...columns.required, ...(columns.optional ?? [])]);
  const lines = createInterface({ input: textStream(source), crlfDelay: Infinity });
  let line = 0;
  let any = false;
  for await (const text of lines) {
    line++;
    const raw = line === 1 ? text.replace(/^\uFEFF/, "") : text;
    if (raw.trim() === "") continue;
    any = true;
    if (raw.includes("\uFFFD")) throw new ImportFileError(`line ${line}: the file is not UTF-8 text (save it as UTF-8, with or without a BOM)`, line);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      yield { ok: false, line, field: "row", reason: `is not valid JSON (${(e as Error).message})`, raw, fields: {} };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      yield { ok: false, line, field: "row", reason: "must be a JSON object (one record per line)", raw, fields: {} };
      continue;
    }
    const fields: Record<string, string> = {};
    let bad: { field: string; reason: string } | null = null;
    for (const [k, v] of Object.entries(value)) {
      if (!known.has(k)) {
        bad ??= { field: k, reason: `is not a field of this file (expected ${[...known].join(", ")})` };
        continue;
      }
      if (v === null || v === undefined) fields[k] = "";
      else if (typeof v === "string") fields[k] = v.trim();
      else if (typeof v === "number" || typeof v === "boolean") fields[k] = String(v);
      else bad ??= { field: k, reason: "must be a string, a number, a boolean or null" };
    }
    if (bad) yield { ok: false, line, ...bad, raw, fields };
    else yield { ok: true, line, fields, raw };
  }
  if (!any) throw new ImportFileError("the file is empty: expected one JSON object per line", 1);
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;
