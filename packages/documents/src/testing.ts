/**
 * Test tools for printed documents (tests only): the text of a PDF as `pdftotext` extracts it, the
 * XML a Factur-X embeds as `pdfdetach` extracts it (Debian poppler-utils), and XSD validation of that
 * XML with `xmllint --schema` (Debian libxml2-utils) against the Factur-X 1.0.9 EN 16931 schema
 * committed in test/fixtures/factur-x. `.ci/run` installs both packages.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FACTUR_X_XSD = fileURLToPath(new URL("../../../test/fixtures/factur-x/Factur-X_EN16931.xsd", import.meta.url));

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "billing-doc-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The PDF's text in reading order (`pdftotext -layout`), whitespace runs kept. */
export function pdfText(pdf: Uint8Array): string {
  return execFileSync("pdftotext", ["-layout", "-enc", "UTF-8", "-", "-"], { input: pdf }).toString("utf8");
}

/** The layout text with every run of whitespace made one space: a label and its value, or a wrapped sentence, read as one line. */
export function pdfFlatText(pdf: Uint8Array): string {
  return pdfText(pdf).replace(/\s+/g, " ");
}

/** The names of the files embedded in the PDF and the content of `name` (null when absent). */
export function embeddedFile(pdf: Uint8Array, name: string): { names: string[]; content: string | null } {
  return withTempDir((dir) => {
    const file = join(dir, "doc.pdf");
    writeFileSync(file, pdf);
    const list = execFileSync("pdfdetach", ["-list", file]).toString("utf8");
    const names = list.split("\n").slice(1).map((l) => l.replace(/^\s*\d+:\s*/, "").trim()).filter((l) => l.length > 0);
    if (!names.includes(name)) return { names, content: null };
    const out = join(dir, "out.xml");
    execFileSync("pdfdetach", ["-savefile", name, "-o", out, file]);
    return { names, content: readFileSync(out, "utf8") };
  });
}

/** xmllint's verdict on `xml` against the Factur-X EN 16931 XSD: ok, or its error lines. */
export function validateFacturX(xml: string): { ok: boolean; output: string } {
  return withTempDir((dir) => {
    const file = join(dir, "factur-x.xml");
    writeFileSync(file, xml);
    const r = spawnSync("xmllint", ["--noout", "--schema", FACTUR_X_XSD, file], { encoding: "utf8" });
    return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
  });
}

/** Every `<ram:Name>value</ram:Name>` of the XML, in order (amounts, codes). */
export function xmlValues(xml: string, element: string): string[] {
  const re = new RegExp(`<ram:${element}(?:\\s[^>]*)?>([^<]*)</ram:${element}>`, "g");
  return [...xml.matchAll(re)].map((m) => m[1]!);
}
