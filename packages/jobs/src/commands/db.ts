/** `billing db migrate`. */
import type { Command } from "commander";
import { migrate } from "@billing/db";
import { type StoreOptions, withStore } from "./context.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";

export function registerDb(program: Command, storeOptions: () => StoreOptions): void {
  const db = program.command("db").description("Manage the store");
  db.command("migrate")
    .description("Apply the SQL migrations not applied yet (each once, in order, under an advisory lock)")
    .action(async () => {
      await withStore(storeOptions(), async (store) => {
        const result = await migrate(store);
        const applied = result.results?.filter((r) => r.status === "Success") ?? [];
        if (result.error) {
          process.stderr.write(`migration failed: ${(result.error as Error).message ?? String(result.error)}\n`);
          reachExitCode(EXIT.stepFailed);
          return;
        }
        process.stdout.write(
          applied.length === 0 ? `${store.description}: schema up to date\n` : `${store.description}: applied ${applied.map((r) => r.name).join(", ")}\n`,
        );
      });
    });
}
