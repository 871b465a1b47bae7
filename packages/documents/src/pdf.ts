/**
 * Lays a document's content (content.ts) out on A4 pages with pdfkit, as PDF/A-3b: fonts embedded
 * (DejaVu Sans, shipped in packages/documents/fonts — accents, « », € and ’ all print), an sRGB
 * output intent, XMP metadata. Deterministic: the creation and modification dates are the document's
 * issue date, the file ID is derived from them by pdfkit, fonts are subset in a fixed order, so the
 * same content gives the same bytes every time (DESIGN: no clock, no random ids).
 */
import { readFileSync } from "node:fs";
import PDFDocument from "pdfkit";
import type { PrintedContent, Section, Table } from "./content.ts";

const FONT_DIR = new URL("../fonts/", import.meta.url);
let fonts: { regular: Buffer; bold: Buffer } | undefined;
function loadFonts() {
  fonts ??= { regular: readFileSync(new URL("DejaVuSans.ttf", FONT_DIR)), bold: readFileSync(new URL("DejaVuSans-Bold.ttf", FONT_DIR)) };
  return fonts;
}

/** An XML file embedded as the document's alternative representation (Factur-X). */
export interface EmbeddedXml {
  readonly filename: string;
  readonly xml: string;
  readonly description: string;
  /** XMP packets to append (the Factur-X extension schema and its properties). */
  readonly xmp: string;
}

const MARGIN = 40;
const PAGE_W = 595.28;
const PAGE_H = 841.89;
const WIDTH = PAGE_W - 2 * MARGIN;
const BOTTOM = PAGE_H - MARGIN - 24;
const GREY = "#555555";
const RULE = "#bbbbbb";
const ACCENT = "#1f4e79";

/** XMP and the Info dictionary carry these strings: keep them free of markup characters. */
const plain = (s: string) => s.replace(/&/g, "et").replace(/[<>"]/g, "");

/** Renders the content to PDF bytes. */
export function layoutPdf(content: PrintedContent, embed?: EmbeddedXml): Promise<Uint8Array> {
  const f = loadFonts();
  const date = new Date(`${content.info.issueDate}T00:00:00Z`);
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    pdfVersion: "1.7",
    subset: "PDF/A-3b",
    lang: "fr-FR",
    bufferPages: true,
    autoFirstPage: false,
    font: f.regular as unknown as string,
    info: {
      Title: plain(content.info.title),
      Author: plain(content.info.author),
      Subject: plain(content.info.subject),
      Creator: "billing-engine",
      Producer: "billing-engine (PDFKit)",
      CreationDate: date,
      ModDate: date,
    },
  } as PDFKit.PDFDocumentOptions);
  const chunks: Uint8Array[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on("data", (c: Uint8Array) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  doc.registerFont("Body", f.regular as unknown as string);
  doc.registerFont("Bold", f.bold as unknown as string);
  doc.addPage();

  header(doc, content);
  for (const s of content.sections) section(doc, s);
  footers(doc, content);

  if (embed) {
    doc.file(Buffer.from(embed.xml, "utf8"), {
      name: embed.filename,
      type: "text/xml",
      description: embed.description,
      relationship: "Alternative",
      creationDate: date,
      modifiedDate: date,
    } as never);
    doc.appendXML(embed.xmp);
  }
  doc.end();
  return done;
}

function ensure(doc: PDFKit.PDFDocument, height: number) {
  if (doc.y + height > BOTTOM) {
    doc.addPage();
    doc.y = MARGIN;
  }
}

function header(doc: PDFKit.PDFDocument, c: PrintedContent) {
  const top = MARGIN;
  doc.font("Bold").fontSize(14).fillColor(ACCENT).text(c.supplier[0] ?? "", MARGIN, top, { width: WIDTH / 2 });
  doc.font("Body").fontSize(7.5).fillColor(GREY);
  for (const l of c.supplier.slice(1)) doc.text(l, { width: WIDTH / 2 });
  const leftBottom = doc.y;

  doc.font("Bold").fontSize(16).fillColor("black").text(c.title, MARGIN + WIDTH / 2, top, { width: WIDTH / 2, align: "right" });
  doc.font("Body").fontSize(10).text(c.reference, { width: WIDTH / 2, align: "right" });
  doc.moveDown(0.4);
  doc.fontSize(8.5);
  for (const [k, v] of c.meta) doc.text(`${k} : ${v}`, { width: WIDTH / 2, align: "right" });
  const rightBottom = doc.y;

  // The customer's block where a window envelope shows it.
  const y = Math.max(leftBottom, rightBottom) + 14;
  const x = MARGIN + WIDTH / 2 + 10;
  doc.font("Bold").fontSize(10).fillColor("black").text(c.customer[0] ?? "", x, y, { width: WIDTH / 2 - 10 });
  doc.font("Body").fontSize(9);
  for (const l of c.customer.slice(1)) doc.text(l, { width: WIDTH / 2 - 10 });
  doc.y += 12;
  doc.x = MARGIN;
}

function heading(doc: PDFKit.PDFDocument, text: string) {
  ensure(doc, 40);
  doc.moveDown(0.3);
  const y = doc.y;
  doc.rect(MARGIN, y, WIDTH, 15).fill(ACCENT);
  doc.font("Bold").fontSize(9).fillColor("white").text(text, MARGIN + 5, y + 3.5, { width: WIDTH - 10, lineBreak: false });
  doc.fillColor("black");
  doc.y = y + 19;
  doc.x = MARGIN;
}

function section(doc: PDFKit.PDFDocument, s: Section) {
  heading(doc, s.heading);
  if (s.rows) {
    doc.fontSize(8.5);
    for (const [k, v] of s.rows) {
      const h = Math.max(doc.font("Body").heightOfString(v, { width: WIDTH * 0.6 }), 10);
      ensure(doc, h);
      const y = doc.y;
      doc.font("Body").fillColor(GREY).text(k, MARGIN, y, { width: WIDTH * 0.4 - 6 });
      doc.fillColor("black").text(v, MARGIN + WIDTH * 0.4, y, { width: WIDTH * 0.6 });
      doc.y = y + h + 2;
    }
  }
  if (s.table) table(doc, s.table);
  if (s.mentions) {
    doc.fontSize(8).font("Body").fillColor("black");
    for (const m of s.mentions) {
      const text = `${m.text} (${m.clause})`;
      ensure(doc, doc.heightOfString(text, { width: WIDTH }) + 3);
      doc.text(text, MARGIN, doc.y, { width: WIDTH });
      doc.y += 3;
    }
  }
  doc.x = MARGIN;
}

function table(doc: PDFKit.PDFDocument, t: Table) {
  const widths = t.columns.map((c) => c.width * WIDTH);
  const xs = widths.map((_, i) => MARGIN + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const pad = 3;
  const drawRow = (cells: readonly string[], bold: boolean, headerRow: boolean) => {
    doc.font(bold || headerRow ? "Bold" : "Body").fontSize(headerRow ? 7.5 : 8);
    const h = Math.max(...cells.map((c, i) => doc.heightOfString(c || " ", { width: widths[i]! - 2 * pad }))) + 2 * pad;
    ensure(doc, h);
    const y = doc.y;
    if (headerRow) doc.rect(MARGIN, y, WIDTH, h).fill("#e8eef5");
    doc.fillColor(headerRow ? ACCENT : "black");
    cells.forEach((c, i) => {
      doc.text(c, xs[i]! + pad, y + pad, { width: widths[i]! - 2 * pad, align: t.columns[i]!.align });
    });
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + WIDTH, y + h).lineWidth(0.4).strokeColor(RULE).stroke();
    doc.fillColor("black");
    doc.y = y + h;
  };
  if (t.columns.some((c) => c.label !== "")) drawRow(t.columns.map((c) => c.label), false, true);
  t.rows.forEach((r, i) => drawRow(r, t.bold?.includes(i) ?? false, false));
  doc.y += 4;
  doc.x = MARGIN;
}

function footers(doc: PDFKit.PDFDocument, c: PrintedContent) {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.font("Body").fontSize(7).fillColor(GREY);
    doc.text(`${c.supplier[0] ?? ""} · ${c.title} ${c.reference} · page ${i + 1}/${range.count}`, MARGIN, PAGE_H - MARGIN - 10, {
      width: WIDTH,
      align: "center",
      lineBreak: false,
    });
  }
}
