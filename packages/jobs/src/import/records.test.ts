/** The shared reader of every import (docs/imports.md): csv-parse for CSV, JSON Lines, records with their lines. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ImportFileError, collectRecords, formatOf, separatorOf } from "./records.ts";
import { csvCell, rejectsText } from "./rejects.ts";

const columns = { required: ["id", "name"], optional: ["kind"] };

describe("import records (shared CSV / JSON Lines reader)", () => {
  it("reads a ';' file with a BOM, CRLF, quotes, a quoted line break and columns in any order; numbers lines as in the file", async () => {
    const text = '\uFEFFName;ID;kind\r\n"Dupont; Jean";C1;residential\r\n\r\n"Line\r\nbreak";C2;\r\n;;\r\n "Say ""hi""" ;C3;professional';
    expect(await collectRecords({ text }, { columns })).toEqual([
      { ok: true, line: 2, fields: { name: "Dupont; Jean", id: "C1", kind: "residential" }, raw: '"Dupont; Jean";C1;residential' },
      { ok: true, line: 4, fields: { name: "Line\nbreak", id: "C2", kind: "" }, raw: '"Line\nbreak";C2;' },
      { ok: true, line: 7, fields: { name: 'Say "hi"', id: "C3", kind: "professional" }, raw: ' "Say ""hi""" ;C3;professional' },
    ]);
  });

  it("gives a record with another field count than the header as malformed, in its place, and goes on", async () => {
    const items = await collectRecords({ text: "id,name\nC1,A\nC2\nC3,C,extra\nC4,D\n" }, { columns });
    expect(items.map((i) => (i.ok ? `${i.line} ok` : `${i.line} ${i.field}: ${i.reason}`))).toEqual([
      "2 ok",
      "3 row: has 1 field, the header 2 (id,name)",
      "4 row: has 3 fields, the header 2 (id,name)",
      "5 ok",
    ]);
  });

  it("refuses a file whose header misses a required column, names an unknown one or one twice; and an empty file", async () => {
    await expect(collectRecords({ text: "id,nom,id\nC1,A,C1\n" }, { columns })).rejects.toThrow(
      'line 1: header: missing column name; unknown column "nom"; column given twice: id (expected id,name[,kind])',
    );
    await expect(collectRecords({ text: "\n\n" }, { columns })).rejects.toThrow(ImportFileError);
    await expect(collectRecords({ text: "\n\n" }, { columns })).rejects.toThrow(/the file is empty/);
  });

  it("refuses broken quoting and text that is not UTF-8, with the line", async () => {
    await expect(collectRecords({ text: 'id,name\nC1,A\nC2,"B"x\n' }, { columns })).rejects.toThrow(/^line 3: not valid CSV: /);
    const dir = await mkdtemp(join(tmpdir(), "records-"));
    const latin1 = join(dir, "latin1.csv");
    await writeFile(latin1, Buffer.concat([Buffer.from("id,name\nC1,"), Buffer.from([0xc9]), Buffer.from("lise\n")]));
    await expect(collectRecords({ path: latin1 }, { columns })).rejects.toThrow("line 2: the file is not UTF-8 text");
    await expect(collectRecords({ path: join(dir, "missing.csv") }, { columns })).rejects.toThrow(/^cannot read /);
  });

  it("reads JSON Lines with the same keys: numbers and booleans as text, null as empty; a bad line is malformed, the file goes on", async () => {
    const text = '\uFEFF{"id":"C1","name":"A","kind":null}\n\n{"id":7,"name":true}\n[1]\n{"id":"C4","name":{"x":1}}\n{"id":"C5","nom":"E"}\n{oops\n';
    const items = await collectRecords({ text, name: "customers.jsonl" }, { columns });
    expect(items.map((i) => (i.ok ? [i.line, i.fields] : [i.line, `${i.field}: ${i.reason}`]))).toEqual([
      [1, { id: "C1", name: "A", kind: "" }],
      [3, { id: "7", name: "true" }],
      [4, "row: must be a JSON object (one record per line)"],
      [5, "name: must be a string, a number, a boolean or null"],
      [6, "nom: is not a field of this file (expected id, name, kind)"],
      [7, expect.stringMatching(/^row: is not valid JSON/)],
    ]);
  });

  it("reads a file of 10,000 rows from disk with exact line numbers", async () => {
    const dir = await mkdtemp(join(tmpdir(), "records-"));
    const path = join(dir, "big.csv");
    await writeFile(path, ["id,name", ...Array.from({ length: 10_000 }, (_, i) => `C${i},"N ${i}"`)].join("\r\n"));
    let n = 0;
    for (const r of await collectRecords({ path }, { columns })) {
      n++;
      if (!r.ok || r.line !== n + 1 || r.fields["id"] !== `C${n - 1}`) throw new Error(`record ${n}: ${JSON.stringify(r)}`);
    }
    expect(n).toBe(10_000);
  });

  it("takes the format from --format, else the extension; the separator from the header", () => {
    expect([formatOf("a.csv"), formatOf("a.JSONL"), formatOf("a.ndjson"), formatOf("a.txt", "jsonl"), formatOf(undefined)]).toEqual(["csv", "jsonl", "jsonl", "jsonl", "csv"]);
    expect(() => formatOf("a.csv", "xlsx")).toThrow('--format: "xlsx" is not one of csv, jsonl');
    expect([separatorOf("a,b,c"), separatorOf("a;b;c"), separatorOf('"a,b";c;d'), separatorOf("a")]).toEqual([",", ";", ";", ","]);
  });

  it("writes a rejects file with the line, field, reason and the row as written, quoted where needed", () => {
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
    expect(rejectsText([{ line: 3, field: "kind", reason: "must be one of residential, professional", raw: "C2;Bob;x" }])).toBe(
      'line,field,reason,row\n3,kind,"must be one of residential, professional","C2;Bob;x"\n',
    );
  });
});
