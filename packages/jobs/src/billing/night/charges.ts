/**
 * R3 · R4 · R9 after R8: the charges that arose after an ended contract's final invoice (a late-payment
 * penalty on the final invoice, a late-refund penalty, a distributor service reported after the end)
 * have no next invoice to ride on; they go on a charges invoice of their own (core
 * invoice/charges-invoice.ts). This step selects the ended contracts (no next billing date) with charges
 * pending on the run date, loads what their case needs and computes the document; the write and account
 * steps then treat it as any other contract's night (the next billing date left as it is).
 */
import { type Case, chargesInvoice } from "@billing/core";
import { type ContractRow, type Database, type NewInvoice, loadContractEvents, loadCustomers, loadEndedContractsWithPendingCharges, loadPendingCharges } from "@billing/db";
import type { Kysely } from "kysely";
import { buildCase } from "../case-builder.ts";
import { pendingChargeOf } from "../payments.ts";
import type { ComputeContext } from "./compute.ts";
import { type ContractResult, NO_SMOOTHED } from "./types.ts";

/** Ended contracts with charges pending on `date`, within the range (a split run passes none: the run does them once). */
export function selectEndedWithCharges(db: Kysely<Database>, date: string, range: { afterId?: string | undefined; toId?: string | undefined }): Promise<ContractRow[]> {
  return loadEndedContractsWithPendingCharges(db, date, range);
}

/** The charges invoices of `rows` (ended contracts): one each when a charge is pending, else unchanged. */
export async function computeChargesInvoices(db: Kysely<Database>, ctx: ComputeContext, rows: readonly ContractRow[]): Promise<ContractResult[]> {
  const { night } = ctx;
  const ids = rows.map((k) => k.id);
  const [customers, charges, events] = await Promise.all([
    loadCustomers(db, [...new Set(rows.map((k) => k.customer_id))]),
    loadPendingCharges(db, ids, night.date),
    loadContractEvents(db, ids),
  ]);
  const customerById = new Map(customers.map((c) => [c.id, c]));
  return rows.map((contract): ContractResult => {
    const done = (outcome: ContractResult["outcome"], invoices: NewInvoice[] = []): ContractResult =>
      ({ contract, invoices, next: null, keepNext: true, outcome, lines: invoices.reduce((n, i) => n + i.document.lines.length, 0), smoothed: NO_SMOOTHED });
    try {
      const customer = customerById.get(contract.customer_id);
      if (!customer) return done({ contractId: contract.id, outcome: "failed", reason: `customer ${contract.customer_id} not found` });
      const built = buildCase({
        customer, contract, offer: night.offerFor(contract.offer_id), reference: night.reference, reads: [], asOf: night.date,
        pendingCharges: charges.get(contract.id)?.map(pendingChargeOf), events: events.get(contract.id),
      });
      // The final invoice billed up to the end: the case's last billing date (the row keeps none after it).
      const c: Case = { ...built, billing: { ...built.billing, lastBillingDate: built.contract.end ?? null } };
      const document = chargesInvoice(c);
      if (document === null) return done({ contractId: contract.id, outcome: "unchanged", reason: "no charges invoice due" });
      const input = ctx.hasher.storedInput(c, [document]);
      return done(
        { contractId: contract.id, outcome: "billed", invoices: 1 },
        [{ document, seriesPrefix: c.contract.invoiceSeries, runId: ctx.runId, engineVersion: ctx.engineVersion, input }],
      );
    } catch (e) {
      return done({ contractId: contract.id, outcome: "failed", reason: `charges invoice: ${(e as Error).message}` });
    }
  });
}
