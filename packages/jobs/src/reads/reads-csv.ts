/**
 * The reads file's edge (R2 — CGV 6.2; format in docs/reads.md): a CSV with a header
 * `delivery_point,date,source,register,value[,received_on]`, one register of one read (or, for a
 * connectedStation row, one register's kWh of one day) per line. Each row is checked with zod; a row
 * that fails is not dropped: it goes to the store as rejected, with its reasons ("column: reason")
 * and its raw text. Only a file whose header cannot be read is refused whole.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { READ_SOURCES, REGISTERS, dates } from "@billing/core";
import type { ReadSource, ReceivedRow } from "@billing/db";

export const READS_CSV_REQUIRED = ["delivery_point", "date", "source", "register", "value"] as const;
export const READS_CSV_OPTIONAL = ["received_on"] as const;
type Column = (typeof READS_CSV_REQUIRED)[number] | (typeof READS_CSV_OPTIONAL)[number];

/** The file cannot be read as a reads file at all (its header): nothing is stored. */
export class ReadsFileError extends Error {
  override readonly name = "ReadsFileError";
}

const isoDate = z.string().refine(dates.isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" });

const rowSchema = z.object({
  delivery_point: z.string().regex(/^\d{14}$/, { message: "must be the 14-digit PDL/PRM number" }),
  date: isoDate,
  source: z.enum(READ_SOURCES, { message: `must be one of ${READ_SOURCES.join(", ")}` }),
  register: z.enum(REGISTERS, { message: `must be one of ${REGISTERS.join(", ")}` }),
  value: z.string().regex(/^\d+(\.\d+)?$/, { message: "must be a non-negative decimal number written with a dot, e.g. 1234 or 12.5" }),
  received_on: isoDate.optional(),
});

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * The fingerprint of a row: sha256 of its five received fields as written (trimmed), in the format's
 * column order whatever the header's; `received_on`, the file name and the line number are not part of
 * it, so the same row received again, in any file, on any day, adds nothing.
 */
export function rowFingerprint(f: Record<(typeof READS_CSV_REQUIRED)[number], string>): string {
  return sha256(READS_CSV_REQUIRED.map((c) => f[c]).join("\u001f"));
}

function headerOf(line: string): Column[] {
  const names = line.split(",").map((h) => h.trim().toLowerCase());
  const known: readonly string[] = [...READS_CSV_REQUIRED, ...READS_CSV_OPTIONAL];
  const unknown = names.filter((n) => !known.includes(n));
  const missing = READS_CSV_REQUIRED.filter((c) => !names.includes(c));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  const problems = [
    ...(missing.length > 0 ? [`missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`] : []),
    ...(unknown.length > 0 ? [`unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => JSON.stringify(u)).join(", ")}`] : []),
    ...(twice.length > 0 ? [`column${twice.length > 1 ? "s" : ""} given twice: ${twice.join(", ")}`] : []),
  ];
  if (problems.length > 0) {
    throw new ReadsFileError(`line 1: header: ${problems.join("; ")} (expected ${READS_CSV_REQUIRED.join(",")}[,${READS_CSV_OPTIONAL.join(",")}])`);
  }
  return names as Column[];
}

/**
 * The rows of a reads file. `receivedOn`: the reception day of rows without a received_on (the
 * import's --received-on). Blank lines are skipped; line numbers are the file's (header = line 1).
 */
export function parseReadsCsv(text: string, receivedOn: string): ReceivedRow[] {
  const rows: ReceivedRow[] = [];
  const parser = readsLineParser(receivedOn);
  text.split(/\r?\n/).forEach((line, i) => {
    const row = parser(line, i + 1);
    if (row) rows.push(row);
  });
  parser.end();
  return rows;
}

/**
 * A line-by-line parser of a reads file (streamed imports): the first non-empty line is the header
 * (a bad one throws ReadsFileError), every later non-empty line a row; `end()` throws on an empty file.
 */
export function readsLineParser(receivedOn: string): ((line: string, lineNo: number) => ReceivedRow | null) & { end: () => void } {
  let header: Column[] | null = null;
  const parse = (line: string, lineNo: number): ReceivedRow | null => {
    const raw = lineNo === 1 ? line.replace(/^\uFEFF/, "") : line;
    if (raw.trim() === "") return null;
    if (header === null) {
      header = headerOf(raw);
      return null;
    }
    return parseRow(raw, lineNo, header, receivedOn);
  };
  return Object.assign(parse, {
    end: () => {
      if (header === null) throw new ReadsFileError("the file is empty: expected a header line delivery_point,date,source,register,value[,received_on]");
    },
  });
}

function parseRow(raw: string, lineNo: number, header: readonly Column[], defaultReceivedOn: string): ReceivedRow {
  const cells = raw.split(",").map((c) => c.trim());
  const at = (c: Column): string | undefined => {
    const i = header.indexOf(c);
    return i < 0 ? undefined : cells[i];
  };
  if (cells.length !== header.length) {
    const pdl = at("delivery_point");
    return {
      lineNo, raw, fingerprint: sha256(`raw\u001f${raw.trim()}`),
      deliveryPoint: pdl !== undefined && /^\d{14}$/.test(pdl) ? pdl : null,
      date: null, source: null, register: null, value: null, receivedOn: defaultReceivedOn,
      problems: [`line: expected ${header.length} fields (${header.join(",")}), got ${cells.length}`],
    };
  }
  const fields = Object.fromEntries(header.map((c, i) => [c, cells[i]!])) as Record<Column, string>;
  const given = { ...fields, ...(fields.received_on === "" ? { received_on: undefined } : {}) };
  const parsed = rowSchema.safeParse(given);
  const problems: string[] = [];
  const bad = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const column = String(issue.path[0] ?? "row");
      if (bad.has(column)) continue;
      bad.add(column);
      const shown = fields[column as Column];
      problems.push(shown === "" || shown === undefined ? `${column}: is empty (${issue.message})` : `${column}: "${shown}" ${issue.message}`);
    }
  }
  const ok = (c: Column) => !bad.has(c) && fields[c] !== undefined && fields[c] !== "";
  const date = ok("date") ? fields.date : null;
  const receivedOn = ok("received_on") ? fields.received_on! : defaultReceivedOn;
  const source = ok("source") ? (fields.source as ReadSource) : null;
  if (date !== null && !bad.has("received_on")) {
    if (source === "connectedStation" ? date >= receivedOn : date > receivedOn) {
      problems.push(
        source === "connectedStation"
          ? `date: the day ${date} is not over on its reception day ${receivedOn}`
          : `date: ${date} is after its reception day ${receivedOn} (a read cannot be received before it is taken)`,
      );
    }
  }
  return {
    lineNo,
    raw,
    fingerprint: rowFingerprint(fields),
    deliveryPoint: fields.delivery_point === "" ? null : fields.delivery_point,
    date,
    source,
    register: ok("register") ? fields.register : null,
    value: ok("value") ? fields.value : null,
    receivedOn,
    problems,
  };
}
