/** R3 the payment file's edge (docs/payments.md): zod per row, errors as `line N: field: reason`. */
import { describe, expect, it } from "vitest";
import { formatRowError, parsePaymentCsv } from "./payments.ts";

describe("R3 payment CSV parsing", async () => {
  it("R3 reads quoted fields, a BOM, CRLF and columns in any order; fills an empty date from --received-on", async () => {
    const text = '\uFEFFamount,reference,customer_id,received_on,method\r\n"1,2",x\r\n120.50,VIR-1,C1,2025-06-01,"virement ""SEPA"""\r\n20,CHQ-2,C2,,\r\n';
    const r = await parsePaymentCsv(text, { receivedOn: "2025-06-03" });
    expect(r.rows.map((x) => [x.line, x.row])).toEqual([
      [3, { reference: "VIR-1", customer_id: "C1", received_on: "2025-06-01", amount: "120.50", method: 'virement "SEPA"' }],
      [4, { reference: "CHQ-2", customer_id: "C2", received_on: "2025-06-03", amount: "20" }],
    ]);
    expect(r.errors.map(formatRowError)).toEqual(["line 2: row: has 2 fields, the header 5"]);
  });

  it("R3 rejects each bad field with its line and reason, and a missing header column", async () => {
    const r = await parsePaymentCsv(["reference,customer_id,received_on,amount", "A B,C1,2025-13-01,0.00", ",C1,2025-06-01,1.234", "X,,2025-06-01,abc"].join("\n"));
    expect(r.errors.map(formatRowError)).toEqual([
      "line 2: reference: may hold letters, digits and . _ : / - only",
      "line 2: received_on: is not a calendar date written YYYY-MM-DD",
      "line 2: amount: must be greater than 0",
      "line 3: reference: is empty",
      "line 3: amount: is not an amount in euros with at most 2 decimals, e.g. 120.50",
      "line 4: customer_id: is empty",
      "line 4: amount: is not an amount in euros with at most 2 decimals, e.g. 120.50",
    ]);
    await expect(parsePaymentCsv("ref,amount\nX,1")).rejects.toThrow(
      'line 1: header: missing columns reference, customer_id, received_on; unknown column "ref" (expected reference,customer_id,received_on,amount[,method])',
    );
  });

  it("R3 reads a ';' file and JSON Lines with the same columns, and refuses broken quoting with its line", async () => {
    const semi = await parsePaymentCsv("reference;customer_id;received_on;amount\nVIR-1;C1;2025-06-01;120.50\n");
    expect(semi.rows.map((x) => [x.line, x.row.amount])).toEqual([[2, "120.50"]]);
    const jsonl = await parsePaymentCsv({ text: '{"reference":"VIR-2","customer_id":"C1","received_on":"2025-06-01","amount":"9.90"}\n{"reference":"VIR-3"}\n', name: "bank.jsonl" });
    expect(jsonl.rows.map((x) => [x.line, x.row.reference])).toEqual([[1, "VIR-2"]]);
    expect(jsonl.errors.map(formatRowError)).toEqual(["line 2: customer_id: is empty", "line 2: received_on: is empty", "line 2: amount: is empty"]);
    await expect(parsePaymentCsv('reference,customer_id,received_on,amount\nVIR-1,C1,2025-06-01,1\n"VIR-2"x,C1,2025-06-01,1\n')).rejects.toThrow(/^line 3: not valid CSV/);
  });
});
