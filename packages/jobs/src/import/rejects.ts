/**
 * The rejects file of an import (`--skip-bad --rejects <file>`, docs/imports.md): a CSV with the
 * header `line,field,reason,row`, one line per problem of each rejected row, in file order; `row` is
 * the record as written in the imported file, so a fixed copy can be imported again.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import type { RowRejection } from "./records.ts";

export const REJECTS_HEADER = "line,field,reason,row";

/** A CSV cell: quoted when it holds a separator, a quote, a line break or surrounding spaces. */
export function csvCell(value: string | number): string {
  const s = String(value);
  return /[",;\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const rejectsLine = (r: RowRejection): string => [r.line, r.field, r.reason, r.raw].map(csvCell).join(",");

/** Text of a rejects file for these rejections (tests, small files). */
export const rejectsText = (rs: readonly RowRejection[]): string => [REJECTS_HEADER, ...rs.map(rejectsLine)].join("\n") + "\n";

/** A rejects file written as rejections come (constant memory); `close()` flushes it. */
export interface RejectsWriter {
  write(r: RowRejection): Promise<void>;
  close(): Promise<void>;
}

export async function openRejectsFile(path: string): Promise<RejectsWriter> {
  const out: WriteStream = createWriteStream(path, { encoding: "utf8" });
  await once(out, "open");
  out.write(REJECTS_HEADER + "\n");
  return {
    async write(r) {
      if (!out.write(rejectsLine(r) + "\n")) await once(out, "drain");
    },
    async close() {
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    },
  };
}
