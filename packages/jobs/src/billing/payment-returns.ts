/**
 * Returned payments (rejet de prélèvement, chèque impayé; R3 · CGV 6.4, core payment/returned-payment.ts):
 * `billing payments returns <file>` imports the bank's file of payments that came back, the way the payment
 * file is imported — the shared reader (CSV or JSON Lines), zod per row with the exact field and reason,
 * each good row stored on its own (atomic), a re-import changing nothing. A return is a record of its own
 * naming the payment (the payment is never edited); it is refused for an unknown payment, more than the
 * payment, a date before the payment, or a payment already returned. What follows (the items owed again,
 * their penalty, R10 reminders, R4 refunds cancelled) is the nightly steps' work.
 */
import { z } from "zod";
import type { ImportFormat, ImportSource } from "../import/records.ts";
import { dates, paymentReturnRefusal, sameAmount } from "@billing/core";
import { type Store, analyzeTables, insertPaymentReturn, loadPaymentsForReturns } from "@billing/db";
import { type ImportReport, type ParsedRows, type RowError, parseReferencedRows } from "./payments.ts";

/** Columns of the return file (docs/payments.md, "Returned payments"). */
export const RETURN_CSV_COLUMNS = ["reference", "payment_reference", "returned_on", "amount", "reason"] as const;
export const RETURN_COLUMNS = { required: RETURN_CSV_COLUMNS.slice(0, 4), optional: RETURN_CSV_COLUMNS.slice(4) } as const;

const referenceSchema = z.string().trim().min(1, "is empty").max(100, "is longer than 100 characters").regex(/^[A-Za-z0-9._:/-]+$/, "may hold letters, digits and . _ : / - only");

const returnRowSchema = z.object({
  reference: referenceSchema,
  payment_reference: referenceSchema,
  returned_on: z.string().trim().refine(dates.isLocalDate, "is not a calendar date written YYYY-MM-DD"),
  amount: z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d{1,2})?$/, "is not an amount in euros with at most 2 decimals, e.g. 120.50")
    .refine((s) => !s.startsWith("-") && /[1-9]/.test(s), "must be greater than 0"),
  reason: z.string().trim().max(200, "is longer than 200 characters").optional(),
});
export type ReturnRow = z.output<typeof returnRowSchema>;

/**
 * Parses and validates the return file row by row. `returnedOn` fills an empty returned_on. A row repeating a
 * reference of the file with the same values is a duplicate (stored once); with other values, an error. Two rows
 * returning the same payment are both kept here: the import stores the first that passes its checks and
 * rejects the later ones naming its line (a row rejected for its own reason returns nothing, so it claims nothing).
 */
export function parseReturnFile(source: string | ImportSource, opts: { returnedOn?: string; format?: ImportFormat } = {}): Promise<ParsedRows<ReturnRow>> {
  return parseReferencedRows(source, {
    columns: RETURN_COLUMNS,
    schema: returnRowSchema,
    ...(opts.format ? { format: opts.format } : {}),
    prepare: (record) => {
      if ((record["returned_on"] ?? "") === "" && opts.returnedOn) record["returned_on"] = opts.returnedOn;
      if ((record["reason"] ?? "") === "") delete record["reason"];
    },
    sameValues: (a, b) => a.payment_reference === b.payment_reference && a.returned_on === b.returned_on && sameAmount(a.amount, b.amount),
  });
}

/**
 * `billing payments returns`: validates every row, checks it against its payment (payment/returned-payment.ts),
 * then stores each good row atomically; a bad row never stops the good ones. Same report as the payment import.
 */
export async function importPaymentReturns(
  store: Store,
  source: string | ImportSource,
  opts: { sourceFile?: string; returnedOn?: string; format?: ImportFormat } = {},
): Promise<ImportReport> {
  const { rows, errors, duplicates } = await parseReturnFile(source, opts);
  const all: RowError[] = [...errors];
  const payments = new Map((await loadPaymentsForReturns(store.db, rows.map((r) => r.row.payment_reference))).map((p) => [p.reference, p]));
  let inserted = 0;
  let unchanged = 0;
  // The line of the file whose return of a payment was stored (or found already stored): a later row on the
  // same payment is refused naming it. A row refused for its own reason claims nothing (black-box audit: it
  // used to, and the next row was told the payment was "already returned by" a line that returned nothing).
  const returnedBy = new Map<string, number>();
  for (const { line, row } of rows) {
    const other = returnedBy.get(row.payment_reference);
    if (other !== undefined) {
      all.push({ line, field: "payment_reference", reason: `payment ${row.payment_reference} is already returned by line ${other} of the file` });
      continue;
    }
    const p = payments.get(row.payment_reference);
    const refusal = paymentReturnRefusal(
      { reference: row.reference, paymentReference: row.payment_reference, returnedOn: row.returned_on, amount: row.amount },
      p && { reference: p.reference, customerId: p.customer_id, receivedOn: p.received_on, amount: p.amount },
      p?.return_reference ? { reference: p.return_reference, amount: p.return_amount!, returnedOn: p.returned_on! } : undefined,
    );
    if (refusal) {
      all.push({ line, ...refusal });
      continue;
    }
    const out = await insertPaymentReturn(store.db, { reference: row.reference, paymentReference: row.payment_reference, customerId: p!.customer_id, returnedOn: row.returned_on, amount: row.amount, reason: row.reason }, opts.sourceFile ?? null);
    if (out.status === "inserted") inserted++;
    else if (out.status === "unchanged") unchanged++;
    if (out.status === "inserted" || out.status === "unchanged") returnedBy.set(row.payment_reference, line);
    else all.push({ line, field: "reference", reason: `${row.reference} ${out.reason}` });
  }
  all.sort((a, b) => a.line - b.line);
  if (inserted > 0) await analyzeTables(store.db, ["payment_return"]);
  return { inserted, unchanged, errors: all, duplicates };
}
