#!/usr/bin/env node
/**
 * The `billing` command line. Every subcommand has --help. The store is PostgreSQL when
 * --database-url or DATABASE_URL is given, else the embedded store (PGlite) in --data-dir.
 */
import { Command } from "commander";
import { ENGINE_VERSION } from "@billing/core";
import { UsageError } from "./commands/context.ts";
import type { StoreOptions } from "./commands/context.ts";
import { registerAudit } from "./commands/audit.ts";
import { registerDb } from "./commands/db.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerDunning } from "./commands/dunning.ts";
import { registerInvoice } from "./commands/invoice.ts";
import { registerReference } from "./commands/reference.ts";
import { registerPayments } from "./commands/payments.ts";
import { registerPlan } from "./commands/plan.ts";
import { registerPeers } from "./commands/peers.ts";
import { registerReads } from "./commands/reads.ts";
import { registerRun } from "./commands/run.ts";
import { registerWorker } from "./commands/queue.ts";
import { registerSimulate } from "./commands/simulate.ts";

export function buildProgram(): Command {
  const program = new Command("billing")
    .description("Contract and billing computation engine for French electricity suppliers")
    .version(ENGINE_VERSION)
    .option("--database-url <url>", "PostgreSQL connection URL (default: $DATABASE_URL, else the embedded store)")
    .option("--data-dir <dir>", "folder of the embedded store (default: ./.billing)")
    .showHelpAfterError();
  const storeOptions = (): StoreOptions => program.opts<StoreOptions>();
  registerDb(program, storeOptions);
  registerDemo(program, storeOptions);
  registerRun(program, storeOptions);
  registerWorker(program, storeOptions);
  registerInvoice(program, storeOptions);
  registerAudit(program, storeOptions);
  registerPlan(program, storeOptions);
  registerPayments(program, storeOptions);
  registerSimulate(program);
  registerReference(program, storeOptions);
  registerReads(program, storeOptions);
  registerPeers(program, storeOptions);
  registerDunning(program, storeOptions);
  return program;
}

/** Runs the command line on `argv` (process.argv layout): the `billing` bin and `tsx cli.ts` both land here. */
export function main(argv: readonly string[] = process.argv): Promise<void> {
  // `billing … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  return buildProgram()
    .parseAsync([...argv])
    .then(
      () => undefined,
      (e: unknown) => {
        if (e instanceof UsageError) {
          process.stderr.write(`error: ${e.message}\n`);
          process.exitCode = 2;
          return;
        }
        process.stderr.write(`error: ${(e as Error).message}\n`);
        process.exitCode = 1;
      },
    );
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!);
if (isMain) void main();
