/**
 * The HTTP API for customer-service tools and the agent page (issue 17; docs/api.md). A thin shell:
 * each route parses its input with zod (the same schemas as the command line: `recalcRequestSchema`),
 * calls one application function of @billing/jobs or @billing/db, and formats the result. Errors are
 * RFC 9457 problem details. Every /api route needs a client's token (`billing api-token create`); a
 * commit needs a commit-scope token and an Idempotency-Key.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { type ZodTypeProvider, hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { sql } from "kysely";
import { z } from "zod";
import { dates } from "@billing/core";
import { type ApiScope, type Store, canonicalJson, findApiCommit, findContract, findApiToken, findInvoiceByNumber, recordApiCommit } from "@billing/db";
import { FacturXError } from "@billing/documents";
import {
  RecalcRequestError,
  accountStatement,
  commitRecalculation,
  loadInvoiceDocument,
  log,
  recalcRequestSchema,
  recalculate,
  renderPdf,
  replayInvoice,
} from "@billing/jobs";
import { type FieldError, PROBLEM_CONTENT_TYPE, type Problem, ProblemError, fieldOf, pointerOf } from "./problem.ts";
import { commitView, invoiceView, planView } from "./views.ts";

export const API_VERSION = "1.0.0";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The scope a route needs; absent = public (the page and its assets). */
    scope?: ApiScope;
  }
  interface FastifyRequest {
    /** The client whose token the request carried (set on /api routes). */
    client?: { readonly name: string; readonly scope: ApiScope };
  }
}

const isoDate = z.string().refine(dates.isLocalDate, { message: "must be a calendar date written YYYY-MM-DD" });
const contractParams = z.object({ id: z.string().min(1).describe("The contract id, e.g. K0000001") });
const invoiceParams = z.object({ number: z.string().min(1).describe("The document number, e.g. FA-2026-000001 or AV-2026-000001") });
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface ServerOptions {
  readonly store: Store;
  /** Today in Europe/Paris, for a statement without `asOf` (default: the wall clock's civil date in Paris). */
  readonly today?: () => string;
}

function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p);
}

/** A Fastify instance serving the API under /api, its OpenAPI description at /api/openapi.json and the agent page at /. */
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const { store } = opts;
  const today = opts.today ?? (() => dates.civilDateInParis(new Date()));
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Billing engine — customer-service API",
        version: API_VERSION,
        description: "Find a contract, read its invoices with explained lines, print them, read the account statement, replay an invoice, and run or commit a recalculation (R5 · CGV 6.6). Errors are RFC 9457 problem details (application/problem+json). See docs/api.md.",
      },
      components: { securitySchemes: { token: { type: "http", scheme: "bearer", description: "A client token from `billing api-token create --client <name> --scope read|commit`" } } },
      security: [{ token: [] }],
    },
    transform: jsonSchemaTransform,
  });

  // 401 / 403 before anything is parsed: a read token on a commit is refused whatever its body.
  app.addHook("onRequest", async (request, reply) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const header = request.headers.authorization;
    const m = typeof header === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      reply.header("www-authenticate", 'Bearer realm="billing"');
      return sendProblem(reply, new ProblemError("unauthorized", "send the client's token as `Authorization: Bearer <token>`").problem);
    }
    const found = await findApiToken(store.db, m[1]!);
    if (!found) {
      reply.header("www-authenticate", 'Bearer realm="billing", error="invalid_token"');
      return sendProblem(reply, new ProblemError("unauthorized", "the token is unknown or revoked").problem);
    }
    if (scope === "commit" && found.scope !== "commit") {
      return sendProblem(reply, new ProblemError("forbidden", `client ${found.client}'s token has scope ${found.scope}; this route needs scope commit`).problem);
    }
    request.client = { name: found.client, scope: found.scope };
  });

  app.addHook("onResponse", async (request, reply) => {
    if (request.routeOptions.config.scope === undefined) return;
    log().info({ event: "api.request", method: request.method, url: request.url, status: reply.statusCode, client: request.client?.name ?? null, ms: Math.round(reply.elapsedTime) }, "api request");
  });

  app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
    if (error instanceof ProblemError) return sendProblem(reply, { ...error.problem, instance: request.url });
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error.validationContext ?? "body") as FieldError["in"];
      const errors: FieldError[] = error.validation.map((v) => ({ in: where, pointer: v.instancePath, field: fieldOf(v.instancePath), detail: v.message ?? "invalid" }));
      return sendProblem(reply, {
        ...new ProblemError("invalidRequest", errors.map((e) => `${where === "body" ? "" : `${where} `}${e.field}: ${e.detail}`).join("; ")).problem,
        instance: request.url,
        errors,
      });
    }
    if (error instanceof RecalcRequestError) {
      const errors: FieldError[] = error.issues.map((i) => ({ in: "body", pointer: pointerOf(i.path), field: i.path, detail: i.message }));
      return sendProblem(reply, { ...new ProblemError("invalidRequest", error.message).problem, instance: request.url, errors });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own 4xx (unparsable JSON, wrong content type, body too large).
      return sendProblem(reply, { type: "/problems/invalid-request", title: "The request is not valid", status, detail: error.message, instance: request.url });
    }
    log().error({ event: "api.failed", url: request.url, err: { message: error.message, stack: error.stack } }, "api request failed");
    return sendProblem(reply, { ...new ProblemError("internal", error.message).problem, instance: request.url });
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, { ...new ProblemError("notFound", `no route ${request.method} ${request.url}`).problem, instance: request.url }));

  registerPage(app);

  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get(
    "/api/contracts",
    {
      config: { scope: "read" },
      schema: {
        summary: "Find contracts by id, delivery point (PDL), customer id or part of the customer's name",
        tags: ["contracts"],
        querystring: z.object({ q: z.string().trim().min(2).max(100).describe("A contract id, a 14-digit delivery point, a customer id, or 2+ letters of the customer's name") }),
      },
    },
    async (request) => {
      const q = request.query.q;
      const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const rows = await sql<{ id: string; delivery_point: string; customer_id: string; name: string; kind: string; billing_mode: string; subscribed_kva: number; price_option: string; start_date: string; end_date: string | null }>`
        select c.id, c.delivery_point, c.customer_id, cu.name, cu.kind, c.billing_mode, c.subscribed_kva, c.price_option, c.start_date::text as start_date, c.end_date::text as end_date
        from contract c join customer cu on cu.id = c.customer_id
        where c.id = ${q} or c.delivery_point = ${q} or cu.id = ${q} or cu.name ilike ${like}
        order by (c.id = ${q} or c.delivery_point = ${q}) desc, cu.name, c.id
        limit 50`.execute(store.db);
      return {
        contracts: rows.rows.map((r) => ({
          id: r.id, deliveryPoint: r.delivery_point, customer: { id: r.customer_id, name: r.name, kind: r.kind },
          billingMode: r.billing_mode, subscribedKva: Number(r.subscribed_kva), priceOption: r.price_option, start: r.start_date, end: r.end_date,
        })),
      };
    },
  );

  app.get(
    "/api/contracts/:id",
    { config: { scope: "read" }, schema: { summary: "A contract with its customer and offer", tags: ["contracts"], params: contractParams } },
    async (request) => {
      const c = await findContract(store.db, request.params.id);
      if (!c) throw new ProblemError("notFound", `contract ${request.params.id} not found`);
      const [customer, offer] = await Promise.all([
        store.db.selectFrom("customer").select(["id", "name", "kind", "department", "siren", "siret"]).where("id", "=", c.customer_id).executeTakeFirstOrThrow(),
        store.db.selectFrom("offer").select(["id", "name"]).where("id", "=", c.offer_id).executeTakeFirstOrThrow(),
      ]);
      return {
        id: c.id, deliveryPoint: c.delivery_point, customer, offer, subscribedKva: Number(c.subscribed_kva), priceOption: c.price_option,
        tariffFormula: c.tariff_formula, billingMode: c.billing_mode, billingDay: c.billing_day, communicatingMeter: c.communicating_meter,
        start: c.start_date, end: c.end_date, nextBillingDate: c.next_billing_date,
      };
    },
  );

  app.get(
    "/api/contracts/:id/invoices",
    { config: { scope: "read" }, schema: { summary: "A contract's issued documents (invoices, true-ups, credit notes), each line with its rule, inputs and sentence", tags: ["invoices"], params: contractParams } },
    async (request) => {
      const exists = await store.db.selectFrom("contract").select("id").where("id", "=", request.params.id).executeTakeFirst();
      if (!exists) throw new ProblemError("notFound", `contract ${request.params.id} not found`);
      const rows = await store.db.selectFrom("invoice").select(["number"]).where("contract_id", "=", request.params.id).orderBy("billing_date").orderBy("id").execute();
      const invoices = [];
      for (const r of rows) invoices.push(await loadInvoiceView(store, r.number));
      return { contractId: request.params.id, invoices };
    },
  );

  app.get(
    "/api/invoices/:number",
    { config: { scope: "read" }, schema: { summary: "One issued document with its explained lines", tags: ["invoices"], params: invoiceParams } },
    async (request) => loadInvoiceView(store, request.params.number),
  );

  app.get(
    "/api/invoices/:number/pdf",
    {
      config: { scope: "read" },
      schema: {
        summary: "The document as the customer receives it (PDF; a Factur-X for a professional customer) — the same bytes every time",
        tags: ["invoices"],
        params: invoiceParams,
        querystring: z.object({ facturX: z.enum(["true", "false"]).default("true").describe("false: a plain PDF even for a professional customer (default: true)") }),
      },
    },
    async (request, reply) => {
      const loaded = await loadInvoiceDocument(store.db, request.params.number);
      if (!loaded.ok) throw new ProblemError(/not found/.test(loaded.reason) ? "notFound" : "notRenderable", loaded.reason);
      let bytes: Uint8Array;
      try {
        bytes = await renderPdf(loaded.document, { facturX: request.query.facturX === "true" });
      } catch (e) {
        if (e instanceof FacturXError) throw new ProblemError("notRenderable", `${e.message} (?facturX=false gives the plain PDF)`);
        throw e;
      }
      return reply.type("application/pdf").header("content-disposition", `inline; filename="${request.params.number}.pdf"`).send(Buffer.from(bytes));
    },
  );

  app.get(
    "/api/invoices/:number/replay",
    { config: { scope: "read" }, schema: { summary: "Recompute an issued document from its stored input and compare (match, or the differences line by line)", tags: ["invoices"], params: invoiceParams } },
    async (request) => {
      const r = await replayInvoice(store.db, request.params.number);
      if (r.status === "unreplayable" && /not found/.test(r.reason)) throw new ProblemError("notFound", r.reason);
      return r;
    },
  );

  app.get(
    "/api/contracts/:id/statement",
    {
      config: { scope: "read" },
      schema: {
        summary: "The account statement of the contract's customer: invoices, credit notes, payments, refunds and charges with the running balance",
        tags: ["contracts"],
        params: contractParams,
        querystring: z.object({ asOf: isoDate.optional().describe("The statement's date (default: today in Europe/Paris)") }),
      },
    },
    async (request) => {
      const c = await store.db.selectFrom("contract").select(["customer_id"]).where("id", "=", request.params.id).executeTakeFirst();
      if (!c) throw new ProblemError("notFound", `contract ${request.params.id} not found`);
      return accountStatement(store, c.customer_id, request.query.asOf ?? today());
    },
  );

  app.post(
    "/api/recalculations/dry-run",
    {
      config: { scope: "read" },
      schema: {
        summary: "What-if: recompute a contract's invoices with a self-read, a power or an option changed; shows the differences and the documents a commit would issue. Writes nothing",
        tags: ["recalculations"],
        body: recalcRequestSchema,
      },
    },
    async (request) => planView(await recalculate(store, request.body)),
  );

  app.post(
    "/api/recalculations",
    {
      config: { scope: "commit" },
      schema: {
        summary: "Commit a recalculation: a credit note and a new invoice per corrected invoice, in one transaction. Needs a commit-scope token and an Idempotency-Key: the same key replays the first answer and issues once",
        tags: ["recalculations"],
        headers: z.object({ "idempotency-key": z.string().min(1).max(200).describe("A key the client chooses per intended commit (e.g. a UUID)") }),
        body: recalcRequestSchema,
      },
    },
    async (request, reply) => {
      const client = request.client!.name;
      const key = request.headers["idempotency-key"];
      const requestHash = sha256(canonicalJson(request.body));
      const earlier = await findApiCommit(store.db, client, key);
      const answer = (rec: { statusCode: number; response: unknown }, replayed: boolean) => {
        if (replayed) reply.header("idempotent-replayed", "true");
        reply.code(rec.statusCode);
        if (rec.statusCode >= 400) reply.type(PROBLEM_CONTENT_TYPE);
        return reply.send(rec.response);
      };
      if (earlier) {
        if (earlier.requestHash !== requestHash) {
          throw new ProblemError("keyReused", `Idempotency-Key "${key}" was used by client ${client} for another request body; use a new key for a new request`);
        }
        return answer(earlier, true);
      }
      const r = await commitRecalculation(store, request.body);
      let statusCode: number;
      let response: unknown;
      if (r.status === "blocked") {
        statusCode = 409;
        response = { ...new ProblemError("blocked", r.reasons.join("; ")).problem, reasons: r.reasons };
      } else {
        statusCode = r.status === "committed" ? 201 : 200;
        response = commitView(r, client);
      }
      const correctionId = r.status === "committed" || r.status === "alreadyCommitted" ? r.correction.id : null;
      const rec = await recordApiCommit(store.db, { client, idempotencyKey: key, requestHash, request: request.body, statusCode, response, correctionId });
      const first = rec.requestHash === requestHash && rec.statusCode === statusCode;
      log().info(
        {
          event: "api.commit", client, idempotencyKey: key, contractId: request.body.contractId, status: r.status, correctionId,
          documents: r.status === "committed" || r.status === "alreadyCommitted" ? r.correction.documents : [],
        },
        `recalculation ${r.status} through the API by client ${client}`,
      );
      return answer(rec, !first);
    },
  );

  return app;
}

async function loadInvoiceView(store: Store, number: string) {
  const s = await findInvoiceByNumber(store.db, number);
  if (!s) throw new ProblemError("notFound", `invoice ${number} not found`);
  const cancelledBy = await store.db.selectFrom("invoice").select("number").where("cancels_invoice_id", "=", s.invoice.id).executeTakeFirst();
  return invoiceView(number, s.document, cancelledBy?.number ?? null);
}

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

/** The agent page: three static files, read once. */
function registerPage(app: FastifyInstance): void {
  for (const [path, { file, type }] of Object.entries(PAGE_FILES)) {
    const body = readFileSync(new URL(`./page/${file}`, import.meta.url), "utf8");
    app.get(path, { schema: { hide: true } }, async (_request: FastifyRequest, reply: FastifyReply) => reply.type(type).header("cache-control", "no-cache").send(body));
  }
}

/** The OpenAPI document of the API (what docs/openapi.json holds). */
export async function openApiDocument(): Promise<unknown> {
  // Describing the routes reads no data: a store that refuses to be used.
  const noStore = new Proxy({} as Store, { get: () => { throw new Error("the OpenAPI document is generated without a store"); } });
  const app = await buildServer({ store: noStore, today: () => "2000-01-01" });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}
