/**
 * The reads file's edge (R2 — CGV 6.2; format in docs/reads.md): a CSV with a header
 * `delivery_point,date,source,register,value[,received_on]`, one register of one read (or, for a
 * connectedStation row, one register's kWh of one day) per line. Each row is checked with zod; a row
 * that fails is not dropped: it goes to the store as rejected, with its reasons ("column: reason")
 * and its raw text. Only a file whose header cannot be read is refused whole. Read by the shared
 * importer (import/records.ts): `,` or `;`, quoted fields, BOM, CRLF, or JSON Lines with the same keys.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { READ_SOURCES, REGISTERS, dates } from "@billing/core";
import type { ReadSource, ReceivedRow } from "@billing/db";
import { type ImportItem, readRecords } from "../import/records.ts";

export const READS_CSV_REQUIRED = ["delivery_point", "date", "source", "register", "value"] as const;
export const READS_CSV_OPTIONAL = ["received_on"] as const;
type Column = (typeof READS_CSV_REQUIRED)[number] | (typeof READS_CSV_OPTIONAL)[number];

/** The file cannot be read as a reads file at all (its header, its quoting): nothing is stored. */
export { ImportFileError as ReadsFileError } from "../import/records.ts";

/** The columns of a reads file, for the shared reader. */
export const READS_COLUMNS = { required: READS_CSV_REQUIRED, optional: READS_CSV_OPTIONAL } as const;

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

/**
 * The rows of a reads file given as text (tests, small files). `receivedOn`: the reception day of rows
 * without a received_on (the import's --received-on). Line numbers are the file's (header = line 1).
 */
export async function parseReadsCsv(text: string, receivedOn: string): Promise<ReceivedRow[]> {
  const rows: ReceivedRow[] = [];
  for await (const item of readRecords({ text }, { columns: READS_COLUMNS, format: "csv" })) rows.push(receivedRowOf(item, receivedOn));
  return rows;
}

/** One record of the shared reader as a received row: a malformed record is a rejected row with its reason. */
export function receivedRowOf(item: ImportItem, receivedOn: string): ReceivedRow {
  if (!item.ok) {
    const pdl = item.fields["delivery_point"];
    const problem = item.shape
      ? `line: expected ${item.shape.header.length} fields (${item.shape.header.join(",")}), got ${item.shape.cells.length}`
      : `${item.field}: ${item.reason}`;
    return {
      lineNo: item.line, raw: item.raw, fingerprint: sha256(`raw\u001f${item.raw.trim()}`),
      deliveryPoint: pdl !== undefined && /^\d{14}$/.test(pdl) ? pdl : null,
      date: null, source: null, register: null, value: null, receivedOn,
      problems: [problem],
    };
  }
  return parseRow(item.fields, item.raw, item.line, receivedOn);
}

function parseRow(cells: Readonly<Record<string, string>>, raw: string, lineNo: number, defaultReceivedOn: string): ReceivedRow {
  // JSON Lines may leave a column out: it reads as empty.
  const fields = Object.fromEntries([...READS_CSV_REQUIRED, ...READS_CSV_OPTIONAL].map((c) => [c, cells[c] ?? ""])) as Record<Column, string>;
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
