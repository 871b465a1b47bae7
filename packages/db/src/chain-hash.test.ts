import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { chainHash, chainHashOfDocumentJson } from "./invoice.repository.ts";
import { fakeInvoice } from "./test-fixtures.ts";

describe("chain hash", () => {
  it("is sha256(previous hash + newline + canonical JSON of the content), also when built from the document's JSON", () => {
    const document = fakeInvoice("K1");
    const content = { number: "FA-2026-000007", seq: 7, series: "FA-2026", document, engineVersion: "0.1.0", inputHash: "abc" };
    const expected = createHash("sha256").update(`prev\n${canonicalJson(content)}`).digest("hex");
    expect(chainHash("prev", content)).toBe(expected);
    expect(chainHashOfDocumentJson("prev", canonicalJson(document), content)).toBe(expected);
  });
});
