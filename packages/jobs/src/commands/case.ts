/**
 * `billing case export <contract> --as-of D [--out file]`: writes the case the nightly run of D would
 * build for a stored contract (billing/case-export.ts), valid against docs/case.schema.json, so an
 * agent can edit it and run `billing simulate`. Exit 0 written; 2 unknown contract or bad option;
 * 3 the file cannot be written.
 */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { parseCase } from "@billing/core";
import { CaseExportError, exportCase } from "../billing/case-export.ts";
import { type StoreOptions, UsageError, parseDateOption, todayInParis, withStore } from "./context.ts";

export function registerCase(program: Command, storeOptions: () => StoreOptions): void {
  const c = program.command("case").description("Case files of stored contracts (docs/case-format.md)");
  c.command("export <contract>")
    .description("Write the case the nightly run would build for a contract on --as-of (edit it, then run billing simulate on it)")
    .option("--as-of <YYYY-MM-DD>", "the run date the case is built for (default: today in Europe/Paris)")
    .option("--out <file>", "write to this file (default: standard output)")
    .action(async (contract: string, o: { asOf?: string; out?: string }) => {
      const asOf = parseDateOption(o.asOf ?? todayInParis(), "--as-of");
      let text: string;
      try {
        const built = await withStore(storeOptions(), (store) => exportCase(store, contract, asOf));
        // The exported file must be a valid case: checked here, as billing simulate will.
        const parsed = parseCase(JSON.parse(JSON.stringify(built)));
        if (!parsed.ok) throw new Error(`the exported case is not valid (a bug): ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
        text = JSON.stringify(built, null, 2) + "\n";
      } catch (e) {
        if (e instanceof CaseExportError) throw new UsageError(e.message);
        throw e;
      }
      if (o.out === undefined) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(o.out, text);
      } catch (e) {
        process.stderr.write(`error: cannot write ${o.out}: ${(e as Error).message}\n`);
        process.exitCode = 3;
        return;
      }
      process.stderr.write(`wrote the case of ${contract} as of ${asOf} to ${o.out} (billing simulate ${o.out})\n`);
    });
}
