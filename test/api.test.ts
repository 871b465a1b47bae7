/**
 * The HTTP API (issue 17, docs/api.md) over the store, through fastify.inject: each route; a bad body
 * answered as problem+json naming the field; a missing, unknown or read-only token on commit (401/403);
 * a commit replayed with the same Idempotency-Key answering the first result and issuing once; the
 * committed docs/openapi.json equal to the one the routes generate.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvoiceByNumber } from "@billing/db";
import { buildServer } from "@billing/api";
import { pdfFlatText } from "@billing/documents/testing";
import { OPENAPI_FILE, openApiText } from "../packages/api/src/write-openapi.ts";
import { type ApiFixture, WHAT_IF, seedApiFixture } from "./helpers/api-fixture.ts";
import { openTestStore } from "./helpers/store.ts";
import type { TestStore } from "./helpers/store.ts";

let t: TestStore;
let app: Awaited<ReturnType<typeof buildServer>>;
let f: ApiFixture;
const db = () => t.store.db;

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const get = (url: string, token = f.readToken) => app.inject({ method: "GET", url, headers: as(token) });
const problemOf = (r: { headers: Record<string, unknown>; json: () => unknown }) => {
  expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
  return r.json() as { type: string; title: string; status: number; detail: string; errors?: { in: string; pointer: string; field: string; detail: string }[] };
};
const count = async (table: "invoice" | "correction" | "api_commit") => Number((await db().selectFrom(table).select((e) => e.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

beforeAll(async () => {
  t = await openTestStore();
  f = await seedApiFixture(t.store);
  app = await buildServer({ store: t.store, today: () => "2026-02-20" });
}, 300_000);
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

describe("API reads: find a contract, its explained invoices, the PDF, the statement, a replay", () => {
  it("finds a contract by id, by delivery point and by part of the customer's name", async () => {
    for (const q of ["K-EST", "99000000000101", "estim"]) {
      const r = await get(`/api/contracts?q=${encodeURIComponent(q)}`);
      expect(r.statusCode).toBe(200);
      expect(r.json().contracts.map((c: { id: string }) => c.id)).toEqual(["K-EST"]);
    }
    const c = (await get("/api/contracts?q=K-EST")).json().contracts[0];
    expect(c).toEqual({ id: "K-EST", deliveryPoint: "99000000000101", customer: { id: "CR-EST", name: "Paul Estimé", kind: "residential" }, billingMode: "monthly", subscribedKva: 6, priceOption: "BASE", start: "2024-12-01", end: null });
    const one = await get("/api/contracts/K-EST");
    expect(one.json()).toMatchObject({ id: "K-EST", customer: { name: "Paul Estimé" }, offer: { id: "FLAT-2025" }, communicatingMeter: false });
    expect(problemOf(await get("/api/contracts/K-NONE"))).toMatchObject({ status: 404, type: "/problems/not-found", detail: "contract K-NONE not found" });
  });

  it("R2 lists a contract's invoices with each line's rule, inputs and sentence (the estimated 400 kWh)", async () => {
    const r = await get("/api/contracts/K-EST/invoices");
    expect(r.statusCode).toBe(200);
    const [inv] = r.json().invoices;
    const stored = (await findInvoiceByNumber(db(), f.estimated))!.document;
    expect(inv).toMatchObject({ number: f.estimated, kind: "monthlyInvoice", totalTtc: stored.totalTtc, cancelledBy: null, consumption: { source: "history" } });
    const energy = inv.lines.find((l: { kind: string }) => l.kind === "energy");
    expect(energy).toMatchObject({ quantity: "400", rule: stored.lines.find((l) => l.kind === "energy")!.rule });
    expect(energy.explanation.length).toBeGreaterThan(20);
    expect(Object.keys(energy.inputs).length).toBeGreaterThan(0);
    expect((await get(`/api/invoices/${f.estimated}`)).json()).toEqual(inv);
  });

  it("CGV 6 serves the invoice PDF, the same bytes each time", async () => {
    const a = await get(`/api/invoices/${f.estimated}/pdf`);
    expect(a.statusCode).toBe(200);
    expect(a.headers["content-type"]).toBe("application/pdf");
    expect(a.rawPayload.subarray(0, 8).toString("latin1")).toBe("%PDF-1.7");
    expect(pdfFlatText(a.rawPayload)).toContain(`N° ${f.estimated}`);
    expect(a.rawPayload.equals((await get(`/api/invoices/${f.estimated}/pdf`)).rawPayload)).toBe(true);
    expect(problemOf(await get("/api/invoices/FA-1999-000001/pdf")).status).toBe(404);
  });

  it("R7 the account statement of the contract's customer, and a replay that matches", async () => {
    const s = await get("/api/contracts/K-EST/statement?asOf=2026-02-20");
    expect(s.statusCode).toBe(200);
    const stored = (await findInvoiceByNumber(db(), f.estimated))!.document;
    expect(s.json()).toMatchObject({ customerId: "CR-EST", asOf: "2026-02-20", balance: stored.totalTtc });
    const bad = problemOf(await get("/api/contracts/K-EST/statement?asOf=2026-02-30"));
    expect(bad).toMatchObject({ status: 400, errors: [{ in: "querystring", field: "asOf", detail: "must be a calendar date written YYYY-MM-DD" }] });
    const replay = await get(`/api/invoices/${f.estimated}/replay`);
    expect(replay.json()).toMatchObject({ status: "match", number: f.estimated, totalTtc: stored.totalTtc });
  });
});

describe("API recalculation: dry run and commit (R5 · CGV 6.6)", () => {
  it("R5 the dry run shows the invoice recomputed with the what-if self-read, equal to the self-read invoice, and writes nothing", async () => {
    const before = await count("invoice");
    const r = await app.inject({ method: "POST", url: "/api/recalculations/dry-run", headers: as(f.readToken), payload: WHAT_IF });
    expect(r.statusCode).toBe(200);
    const plan = r.json();
    const read = (await db().selectFrom("invoice").select("number").where("contract_id", "=", "K-READ").executeTakeFirstOrThrow()).number;
    const readDoc = (await findInvoiceByNumber(db(), read))!.document;
    expect(plan.invoices).toHaveLength(1);
    expect(plan.invoices[0]).toMatchObject({ number: f.estimated, status: "corrected", recomputedTotalTtc: readDoc.totalTtc });
    expect(plan.changes).toEqual(["selfRead index of 2026-02-01, register BASE: 10350"]);
    expect(plan.documents).toHaveLength(1);
    expect(await count("invoice")).toBe(before);
  });

  it("a bad body is a problem+json naming each field (JSON pointer and path)", async () => {
    const r = await app.inject({
      method: "POST", url: "/api/recalculations/dry-run", headers: as(f.readToken),
      payload: { ...WHAT_IF, reads: [{ date: "2026-02-01", register: "BASE", index: "ten" }] },
    });
    const p = problemOf(r);
    expect(p).toMatchObject({ type: "/problems/invalid-request", title: "The request is not valid", status: 400 });
    expect(p.errors).toEqual([{ in: "body", pointer: "/reads/0/index", field: "reads[0].index", detail: 'must be a non-negative decimal number, e.g. "12345"' }]);
    expect(p.detail).toBe('reads[0].index: must be a non-negative decimal number, e.g. "12345"');
    const unknown = problemOf(await app.inject({ method: "POST", url: "/api/recalculations/dry-run", headers: as(f.readToken), payload: { ...WHAT_IF, contractId: "K-NONE" } }));
    expect(unknown).toMatchObject({ status: 400, errors: [{ field: "contractId", pointer: "/contractId", detail: "contract K-NONE not found" }] });
  });

  it("a commit without a token, with an unknown one, or with a read token is refused (401, 401, 403) and issues nothing", async () => {
    const before = await count("invoice");
    const post = (headers: Record<string, string>) => app.inject({ method: "POST", url: "/api/recalculations", headers: { "idempotency-key": "k-refused", ...headers }, payload: WHAT_IF });
    const none = await post({});
    expect(problemOf(none)).toMatchObject({ status: 401, type: "/problems/unauthorized" });
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(problemOf(await post(as("bk_not-a-token"))).status).toBe(401);
    expect(problemOf(await post(as(f.readToken)))).toMatchObject({ status: 403, type: "/problems/insufficient-scope", detail: "client crm-read's token has scope read; this route needs scope commit" });
    expect(problemOf(await get("/api/contracts?q=K-EST", "")).status).toBe(401);
    expect(await count("invoice")).toBe(before);
  });

  it("a commit needs an Idempotency-Key (problem naming the header)", async () => {
    const p = problemOf(await app.inject({ method: "POST", url: "/api/recalculations", headers: as(f.commitToken), payload: WHAT_IF }));
    expect(p).toMatchObject({ status: 400, errors: [{ in: "headers", field: "idempotency-key" }] });
  });

  it("R5 · CGV 6.6 a commit issues a credit note and a new invoice, recorded with its client; the same Idempotency-Key replays the first answer and issues once", async () => {
    const invoices = await count("invoice");
    const headers = { ...as(f.commitToken), "idempotency-key": "desk-0001" };
    const first = await app.inject({ method: "POST", url: "/api/recalculations", headers, payload: WHAT_IF });
    expect(first.statusCode).toBe(201);
    const body = first.json();
    expect(body).toMatchObject({ status: "committed", client: "agent-desk", correction: { documents: [{ replaced: f.estimated, creditNote: "AV-2026-000001" }] } });
    expect(await count("invoice")).toBe(invoices + 2);
    const again = await app.inject({ method: "POST", url: "/api/recalculations", headers, payload: WHAT_IF });
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(body);
    expect(await count("invoice")).toBe(invoices + 2);
    expect(await count("correction")).toBe(1);
    const rec = await db().selectFrom("api_commit").selectAll().execute();
    expect(rec.map((r) => [r.client, r.idempotency_key, r.status_code, Number(r.correction_id)])).toEqual([["agent-desk", "desk-0001", 201, body.correction.id]]);
    // The same key for another request is refused; the invoices now show the correction.
    const other = await app.inject({ method: "POST", url: "/api/recalculations", headers, payload: { ...WHAT_IF, requestedOn: "2026-02-21" } });
    expect(problemOf(other)).toMatchObject({ status: 422, type: "/problems/idempotency-key-reused" });
    const list = (await get("/api/contracts/K-EST/invoices")).json().invoices;
    expect(list.map((i: { number: string; kind: string; cancelledBy: string | null }) => [i.number, i.kind, i.cancelledBy])).toEqual([
      [f.estimated, "monthlyInvoice", "AV-2026-000001"],
      ["AV-2026-000001", "creditNote", null],
      [body.correction.documents[0].newInvoice, "monthlyInvoice", null],
    ]);
    const pdf = await get("/api/invoices/AV-2026-000001/pdf");
    expect(pdfFlatText(pdf.rawPayload)).toContain(`Cet avoir annule intégralement la facture N° ${f.estimated}`);
  });
});

describe("OpenAPI", () => {
  it("docs/openapi.json is the document the routes generate (regenerate: pnpm -F @billing/api openapi)", async () => {
    expect(readFileSync(OPENAPI_FILE, "utf8")).toBe(await openApiText());
    const served = await app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(Object.keys(served.json().paths)).toContain("/api/recalculations");
  });

  it("serves the agent page without a token", async () => {
    const r = await app.inject({ method: "GET", url: "/" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
  });
});
