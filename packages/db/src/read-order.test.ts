/** loadReadsFor's order, made in Node when a plan did not give it (issue 15: no sort in the statement). */
import { describe, expect, it } from "vitest";
import { inReadOrder } from "./contract.repository.ts";
import type { MeterReadRow } from "./schema.ts";

const read = (contract_id: string, read_date: string, register: string, source = "teleRead"): MeterReadRow =>
  ({ id: "1", contract_id, read_date, source, register, index_value: "1", received_on: read_date }) as unknown as MeterReadRow;
const keys = (rows: readonly MeterReadRow[]): string[] => rows.map((r) => `${r.contract_id} ${r.read_date} ${r.register} ${r.source}`);

describe("inReadOrder", () => {
  it("keeps rows already in order (each contract's together in the ids' order, by date, register, source) as they are", () => {
    const rows = [read("K2", "2026-01-01", "HC"), read("K2", "2026-01-01", "HP"), read("K2", "2026-02-01", "HC"), read("K1", "2026-01-01", "BASE")];
    expect(inReadOrder(rows, ["K2", "K1"])).toBe(rows);
    expect(keys(inReadOrder([...rows], ["K2", "K1"]))).toEqual(keys(rows));
  });

  it("orders rows a plan returned in another order", () => {
    const rows = [
      read("K1", "2026-02-01", "BASE"), read("K2", "2026-01-01", "HP"), read("K1", "2026-01-01", "BASE", "selfRead"),
      read("K2", "2026-01-01", "HC"), read("K1", "2026-01-01", "BASE", "distributorActual"),
    ];
    expect(keys(inReadOrder(rows, ["K1", "K2"]))).toEqual([
      "K1 2026-01-01 BASE distributorActual", "K1 2026-01-01 BASE selfRead", "K1 2026-02-01 BASE teleRead",
      "K2 2026-01-01 HC teleRead", "K2 2026-01-01 HP teleRead",
    ]);
  });
});
