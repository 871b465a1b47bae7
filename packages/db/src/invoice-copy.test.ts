/**
 * InvoiceEncoder over reused slabs (issue 15, fifth pass): an encoder writing into the slabs its pool got
 * back from released encoders gives the very bytes a fresh one gives, and never writes over the bytes of
 * an encoder not released. No store: the bytes alone (the stored rows: invoice.repository.test.ts).
 */
import { describe, expect, it } from "vitest";
import { canonicalJsonSorting } from "./canonical-json.ts";
import { type EncodedInvoice, InvoiceEncoder, SlabPool } from "./invoice-copy.ts";
import type { NewInvoice } from "./invoice.repository.ts";
import { newInvoice } from "./test-fixtures.ts";

/** Invoices of varied text: non-Latin-1 characters, COPY's special characters, a stored input of 200 KB, every line kind of the fixture. */
function invoices(tag: string, n: number): NewInvoice[] {
  return Array.from({ length: n }, (_, i) => {
    const inv = newInvoice(`K-${tag}-${i}`, `2025-0${1 + (i % 9)}-01`);
    const lines = inv.document.lines.map((l) => ({ ...l, explanation: `${l.explanation} ${tag}${i} – ✓ 𝄞 "q" \\ \t\n€` }));
    const large = i % 7 === 3 ? "\\\t\n€ ".repeat(40_000) : `${tag}-${i}`;
    return { ...inv, document: { ...inv.document, lines }, input: { ...inv.input, contractPart: { contractId: inv.document.contractId, note: large } } };
  });
}

/** The bytes an encoded invoice carries, copied out of its slab. */
const bytesOf = (e: EncodedInvoice): { doc: string; rows: string } => ({ doc: Buffer.from(e.documentJson).toString("hex"), rows: Buffer.from(e.rows).toString("hex") });

describe("InvoiceEncoder with a slab pool", () => {
  it("encodes into released slabs exactly as into new ones, and leaves an encoder not released alone", () => {
    const pool = new SlabPool();
    const first = new InvoiceEncoder(pool);
    // Enough to fill several slabs of 1 MiB, then handed back.
    const filler = invoices("filler", 60).map((inv) => first.encode(inv));
    const fillerSlabs = new Set(filler.map((e) => e.rows.buffer));
    expect(fillerSlabs.size).toBeGreaterThan(2);
    first.release();

    const kept = new InvoiceEncoder(pool);
    const keptInvoices = invoices("kept", 40);
    const keptEncoded = keptInvoices.map((inv) => kept.encode(inv));
    const keptBytes = keptEncoded.map(bytesOf);
    // It wrote into the released slabs.
    expect(keptEncoded.some((e) => fillerSlabs.has(e.rows.buffer))).toBe(true);

    const later = new InvoiceEncoder(pool);
    const laterEncoded = invoices("later", 40).map((inv) => later.encode(inv));
    // Not released: none of `kept`'s slabs is written over by a later encoder...
    const keptSlabs = new Set(keptEncoded.flatMap((e) => [e.rows.buffer, e.documentJson.buffer]));
    expect(laterEncoded.some((e) => keptSlabs.has(e.rows.buffer) || keptSlabs.has(e.documentJson.buffer))).toBe(false);
    expect(keptEncoded.map(bytesOf)).toEqual(keptBytes);

    // ...and every encoded invoice is byte for byte what a fresh encoder (new slabs) and the reference canonical JSON give.
    const fresh = new InvoiceEncoder();
    keptInvoices.forEach((inv, i) => {
      expect(keptBytes[i]).toEqual(bytesOf(fresh.encode(inv)));
      expect(keptEncoded[i]!.documentJson.toString("utf8")).toBe(canonicalJsonSorting(inv.document));
    });
  });

  it("encodes nothing once released", () => {
    const encoder = new InvoiceEncoder(new SlabPool());
    encoder.encode(newInvoice("K1"));
    encoder.release();
    expect(() => encoder.encode(newInvoice("K2"))).toThrow(/released/);
  });

  it("keeps at most SlabPool.MAX slabs", () => {
    const pool = new SlabPool();
    const encoder = new InvoiceEncoder(pool);
    for (const inv of invoices("many", 300)) encoder.encode(inv);
    encoder.release();
    let n = 0;
    while (pool.take() !== undefined) n++;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(SlabPool.MAX);
  });
});
