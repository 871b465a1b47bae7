#!/usr/bin/env node
/**
 * The `billing` command line. Every subcommand has --help. The store is PostgreSQL when
 * --database-url or DATABASE_URL is given, else the embedded store (PGlite) in --data-dir.
 */
import { Command, CommanderError } from "commander";
import { ENGINE_VERSION } from "@billing/core";
import { UsageError } from "./commands/context.ts";
import { EXIT, exitCodesHelp, reachExitCode } from "./commands/exit-codes.ts";
import { LOG_LEVELS, type LogLevel, createLogger, setLogger } from "./log.ts";
import type { StoreOptions } from "./commands/context.ts";
import { registerBook } from "./commands/book.ts";
import { registerAudit } from "./commands/audit.ts";
import { registerDb } from "./commands/db.ts";
import { registerContractEvents } from "./commands/contract-events.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerDunning } from "./commands/dunning.ts";
import { registerInvoice } from "./commands/invoice.ts";
import { registerReference } from "./commands/reference.ts";
import { registerPayments } from "./commands/payments.ts";
import { registerPlan } from "./commands/plan.ts";
import { registerPeers } from "./commands/peers.ts";
import { registerReads } from "./commands/reads.ts";
import { registerRecalc } from "./commands/recalc.ts";
import { registerCase } from "./commands/case.ts";
import { registerRun } from "./commands/run.ts";
import { registerWorker } from "./commands/queue.ts";
import { registerRuns } from "./commands/runs.ts";
import { registerSimulate } from "./commands/simulate.ts";
import { registerQuote } from "./commands/quote.ts";
import { registerProducer } from "./commands/producer.ts";
import { registerDistributor } from "./commands/distributor.ts";
import { registerServe } from "./commands/serve.ts";
import { registerReview } from "./commands/review.ts";

export function buildProgram(): Command {
  const program = new Command("billing")
    .description("Contract and billing computation engine for French electricity suppliers")
    .version(ENGINE_VERSION)
    .option("--database-url <url>", "PostgreSQL connection URL (default: $DATABASE_URL, else the embedded store)")
    .option("--log-level <level>", `log events on stderr from this level: ${LOG_LEVELS.join(", ")} (default: $BILLING_LOG_LEVEL, else info); JSON lines, human text on a terminal`)
    .option("--data-dir <dir>", "folder of the embedded store (default: $BILLING_DATA_DIR, else ./.billing)")
    .option("--config <file>", "the supplier's configuration file: estimation factors, dunning policy, invoice series, run and review settings; flags win over it (default: $BILLING_CONFIG, else ./billing.config.json when it exists, else built-in defaults; docs/configuration.md)")
    .showHelpAfterError()
    // Commander's own usage errors (unknown option, missing argument) exit 2 like ours, through main().
    .exitOverride()
    .hook("preAction", () => {
      const level = program.opts<{ logLevel?: string }>().logLevel;
      if (level === undefined) return;
      if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
      setLogger(createLogger(level as LogLevel));
    });
  const storeOptions = (): StoreOptions => program.opts<StoreOptions>();
  registerDb(program, storeOptions);
  registerDemo(program, storeOptions);
  registerRun(program, storeOptions);
  registerWorker(program, storeOptions);
  registerReview(program, storeOptions);
  registerRuns(program, storeOptions);
  registerInvoice(program, storeOptions);
  registerAudit(program, storeOptions);
  registerPlan(program, storeOptions);
  registerPayments(program, storeOptions);
  registerSimulate(program);
  registerReference(program, storeOptions);
  registerReads(program, storeOptions);
  registerPeers(program, storeOptions);
  registerDunning(program, storeOptions);
  registerBook(program, storeOptions);
  registerRecalc(program, storeOptions);
  registerCase(program, storeOptions);
  registerQuote(program);
  registerProducer(program);
  registerDistributor(program, storeOptions);
  registerContractEvents(program, storeOptions);
  registerServe(program, storeOptions);
  // Every command's --help ends with the exit-code contract (the generic one unless it names its own).
  const withHelp = (c: Command): void => {
    c.addHelpText("after", exitCodesHelp);
    c.commands.forEach(withHelp);
  };
  withHelp(program);
  return program;
}

/** Runs the command line on `argv` (process.argv layout): the `billing` bin and `tsx cli.ts` both land here. */
export function main(argv: readonly string[] = process.argv): Promise<void> {
  // `billing … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  // Commander's exitOverride may throw synchronously: start from a promise so every error lands below.
  return Promise.resolve()
    .then(() => buildProgram().parseAsync([...argv]))
    .then(
      () => undefined,
      (e: unknown) => {
        if (e instanceof CommanderError) {
          // --help and --version end with 0; commander already printed its message for the others.
          reachExitCode(e.exitCode === 0 ? EXIT.done : EXIT.usage);
          return;
        }
        if (e instanceof UsageError) {
          process.stderr.write(`error: ${e.message}\n`);
          reachExitCode(EXIT.usage);
          return;
        }
        process.stderr.write(`error: a step failed: ${(e as Error).message}\n`);
        reachExitCode(EXIT.stepFailed);
      },
    );
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/").split("/").pop()!);
if (isMain) void main();
