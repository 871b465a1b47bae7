/** `billing invoice show <number>`, `billing invoice pdf <number>` and `billing invoice verify <series>`. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { type ChainVerification, findInvoiceByNumber, invoiceSeriesIds, verifyChain } from "@billing/db";
import { FacturXError } from "@billing/documents";
import { type LoadResult, loadInvoiceDocument, renderPdf } from "../documents/printable.ts";
import { renderInvoice } from "../render/invoice-table.ts";
import { type StoreOptions, withStore } from "./context.ts";
import { EXIT, reachExitCode } from "./exit-codes.ts";
import { registerReplay } from "./replay.ts";

export function registerInvoice(program: Command, storeOptions: () => StoreOptions): void {
  const invoice = program.command("invoice").description("Read issued invoices");
  invoice
    .command("show <number>")
    .description("Show an issued invoice with its explained lines, the indexes used and its chain hash")
    .option("--json", "print the stored document and its inputs as JSON (default: a readable table)")
    .action(async (number: string, o: { json?: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        const found = await findInvoiceByNumber(store.db, number);
        if (!found) {
          process.stderr.write(`error: invoice ${number} not found\n`);
          reachExitCode(EXIT.usage);
          return;
        }
        if (o.json) {
          const { invoice: row, document, input } = found;
          process.stdout.write(
            JSON.stringify(
              {
                number: row.number,
                series: row.series_id,
                seq: row.seq,
                engineVersion: row.engine_version,
                hash: row.hash,
                previousHash: row.previous_hash,
                inputHash: row.input_hash,
                runId: row.run_id,
                document,
                input,
              },
              null,
              2,
            ) + "\n",
          );
          return;
        }
        const r = found.invoice;
        process.stdout.write(renderInvoice(found.document, { number }) + "\n");
        process.stdout.write(
          `\nEngine ${r.engine_version} · run ${r.run_id ?? "-"} · input ${r.input_hash.slice(0, 16)}… · hash ${r.hash.slice(0, 16)}… (previous ${r.previous_hash ? r.previous_hash.slice(0, 16) + "…" : "none: first of its series"})\n`,
        );
      });
    });
  invoice
    .command("pdf <number>")
    .description(
      "Render an issued invoice (monthly, true-up or credit note) as the PDF the customer receives, from the stored invoice alone: the same bytes every time. " +
        "A professional customer's invoice is a Factur-X (PDF/A-3 with its EN 16931 CII XML embedded). Exit 0 written, 2 unknown invoice, 3 not renderable (e.g. no SIREN for a Factur-X)",
    )
    .option("--out <file>", "where to write the PDF (default: ./<number>.pdf)")
    .option("--no-factur-x", "a plain PDF even for a professional customer (default: Factur-X for professional customers)")
    .action(async (number: string, o: { out?: string; facturX: boolean }) => {
      await withStore(storeOptions(), async (store) => {
        await writePdf(await loadInvoiceDocument(store.db, number), o.out ?? `${number}.pdf`, o.facturX);
      });
    });
  registerReplay(invoice, storeOptions);
  invoice
    .command("verify <series>")
    .description(
      "Recompute the hash chain of an invoice series (e.g. FA-2025) and list every problem: each gap in the numbering, each broken link, each invoice altered after issue (exit 1 when there is one; 2 for a series the store has no invoice in)",
    )
    .action(async (series: string) => {
      await withStore(storeOptions(), async (store) => {
        const r = await verifyChain(store.db, series);
        if (r.count === 0 && r.ok) {
          // A series the store never numbered in (a typo, FA-2024 for FA-2025): not an intact chain but an
          // argument naming nothing (exit 2), with the series there are.
          const known = await invoiceSeriesIds(store.db);
          if (!known.includes(series)) {
            process.stderr.write(`error: no invoice series ${series} in the store (series: ${known.length > 0 ? known.join(", ") : "none yet"}); nothing checked\n`);
            reachExitCode(EXIT.usage);
            return;
          }
        }
        process.stdout.write(formatChainVerification(series, r) + "\n");
        if (!r.ok) reachExitCode(EXIT.rejected);
      });
    });
}

/** The readable report of a chain check: one line per problem. */
export function formatChainVerification(series: string, r: ChainVerification): string {
  if (r.ok) return `series ${series}: ${r.count} invoices, chain intact`;
  return [
    `series ${series}: ${r.count} invoices, ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:`,
    ...r.problems.map((p) => `  ${p.kind.padEnd(7)} ${p.number}: ${p.reason}`),
  ].join("\n");
}

/** Renders a loaded document to `out`, with the exit-code contract: 2 when not found, 3 when not renderable. */
export async function writePdf(loaded: LoadResult, out: string, facturX = true): Promise<void> {
  if (!loaded.ok) {
    process.stderr.write(`${loaded.reason}\n`);
    process.exitCode = 2;
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = await renderPdf(loaded.document, { facturX });
  } catch (e) {
    if (!(e instanceof FacturXError)) throw e;
    process.stderr.write(`${e.message} (nothing written; --no-factur-x renders the plain PDF)\n`);
    process.exitCode = 3;
    return;
  }
  writeFileSync(out, bytes);
  const d = loaded.document;
  const fx = facturX && d.kind === "invoice" && d.parties.customer.kind === "professional";
  process.stdout.write(`wrote ${out} (${bytes.length} bytes${fx ? ", Factur-X EN 16931: factur-x.xml embedded" : ""})\n`);
}
