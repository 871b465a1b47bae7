/** Command-line options shared by every import command (docs/imports.md). */
import { UsageError } from "../commands/context.ts";
import { type ImportFormat, formatOf } from "./records.ts";

/** `--format`, checked: a usage error (exit 2) when it is not csv or jsonl; absent → from the file's extension. */
export function formatOption(file: string, given: string | undefined): ImportFormat {
  try {
    return formatOf(file, given);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
