import { describe, expect, it } from "vitest";
import { ReadsFileError, parseReadsCsv, rowFingerprint } from "./reads-csv.ts";

describe("R2 reads file edge (reads-csv)", async () => {
  it("R2 reads the documented columns in any order, skips blank lines and numbers lines as in the file", async () => {
    const rows = await parseReadsCsv("\uFEFFdate,delivery_point,register,source,value\r\n\r\n2025-08-15,12345678901234,BASE,selfRead,1310\n", "2025-08-16");
    expect(rows).toEqual([{
      lineNo: 3, raw: "2025-08-15,12345678901234,BASE,selfRead,1310", deliveryPoint: "12345678901234", date: "2025-08-15",
      source: "selfRead", register: "BASE", value: "1310", receivedOn: "2025-08-16", problems: [],
      fingerprint: rowFingerprint({ delivery_point: "12345678901234", date: "2025-08-15", source: "selfRead", register: "BASE", value: "1310" }),
    }]);
  });

  it("R2 the fingerprint ignores the reception day and the column order: the same row received again is the same row", async () => {
    const a = await parseReadsCsv("delivery_point,date,source,register,value,received_on\n12345678901234,2025-08-15,selfRead,BASE,1310,2025-08-15", "2025-09-01");
    const b = await parseReadsCsv("value,register,source,date,delivery_point\n1310,BASE,selfRead,2025-08-15,12345678901234", "2025-09-02");
    expect(a[0]!.fingerprint).toBe(b[0]!.fingerprint);
    expect([a[0]!.receivedOn, b[0]!.receivedOn]).toEqual(["2025-08-15", "2025-09-02"]);
  });

  it("R2 reports every bad column of a row, keeps what parsed, and checks the reception day", async () => {
    const [bad, early, station] = await parseReadsCsv(
      "delivery_point,date,source,register,value,received_on\n" +
        "1234,2025-08-15,selfRead,XX,,2025-13-01\n" +
        "12345678901234,2025-08-15,selfRead,BASE,1310,2025-08-14\n" +
        "12345678901234,2025-08-14,connectedStation,BASE,9.5,2025-08-14\n",
      "2025-09-01",
    );
    expect(bad!.problems).toEqual([
      'delivery_point: "1234" must be the 14-digit PDL/PRM number',
      'register: "XX" must be one of BASE, HP, HC',
      "value: is empty (must be a non-negative decimal number written with a dot, e.g. 1234 or 12.5)",
      'received_on: "2025-13-01" must be a calendar date written YYYY-MM-DD',
    ]);
    expect(bad).toMatchObject({ deliveryPoint: "1234", date: "2025-08-15", source: "selfRead", register: null, value: null, receivedOn: "2025-09-01" });
    expect(early!.problems).toEqual(["date: 2025-08-15 is after its reception day 2025-08-14 (a read cannot be received before it is taken)"]);
    expect(station!.problems).toEqual(["date: the day 2025-08-14 is not over on its reception day 2025-08-14"]);
  });

  it("R2 refuses a file whose header is not the documented one: nothing is read", async () => {
    await expect(parseReadsCsv("pdl,date,source,register,value\n", "2025-09-01")).rejects.toThrow(ReadsFileError);
    await expect(parseReadsCsv("pdl,date,source,register,value\n", "2025-09-01")).rejects.toThrow(
      'line 1: header: missing column delivery_point; unknown column "pdl" (expected delivery_point,date,source,register,value[,received_on])',
    );
    await expect(parseReadsCsv("\n\n", "2025-09-01")).rejects.toThrow(/the file is empty/);
  });
});
