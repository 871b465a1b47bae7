/**
 * Issue 13: an import's file is checked — readable, header right — before the store is opened, so a
 * bad file is an input error (exit 2) that stores nothing and opens nothing.
 */
import { type ImportColumns, type ImportFormat, ImportFileError, readRecords } from "../import/records.ts";
import { UsageError } from "./context.ts";

/** Reads the file's header (and first record) only; throws a UsageError naming the file and the reason. */
export async function checkImportFile(path: string, columns: ImportColumns, format?: ImportFormat): Promise<void> {
  try {
    for await (const _ of readRecords({ path }, { columns, ...(format ? { format } : {}) })) break;
  } catch (e) {
    if (e instanceof ImportFileError) throw new UsageError(`${path}: ${e.message}; nothing stored`);
    throw e;
  }
}
