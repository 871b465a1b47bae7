/**
 * The floor of a night (issue 15 item 4, docs/performance.md "The floor"): the time PostgreSQL needs
 * merely to store the rows a run wrote. The rows are read back with `COPY (select …) TO STDOUT` into
 * memory, then written with `COPY … FROM STDIN` into empty copies of the same tables (a scratch schema:
 * `create table … (like … including all)` keeps columns, defaults, checks, primary keys, unique keys and
 * indexes; the foreign keys are added back, pointing to the copies when the referenced table is copied,
 * to the originals otherwise; no triggers), in one transaction; the floor is that transaction, commit
 * (deferred foreign-key checks) included. PostgreSQL only.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { processCpuSeconds } from "./bench-cpu.ts";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";

const SCHEMA = "bench_floor";

/** The tables a night writes, parents first, and which of their rows it wrote (`$run`: the run id). */
const NIGHT_TABLES: readonly { table: string; where: string }[] = [
  // A fresh bench store holds no case part before the night: every one is the night's.
  { table: "case_part", where: "true" },
  { table: "invoice", where: "run_id = $run" },
  { table: "invoice_line", where: "invoice_id in (select id from invoice where run_id = $run)" },
  { table: "invoice_vat", where: "invoice_id in (select id from invoice where run_id = $run)" },
  { table: "invoice_input", where: "invoice_id in (select id from invoice where run_id = $run)" },
  { table: "ledger_charge_billing", where: "invoice_id in (select id from invoice where run_id = $run)" },
  { table: "instalment_plan", where: "run_id = $run" },
  { table: "instalment_notice", where: "run_id = $run" },
  { table: "plan_readjustment", where: "run_id = $run" },
  { table: "held_invoice", where: "run_id = $run" },
  { table: "billing_run_outcome", where: "run_id = $run" },
];

/** The invoice tables whose size is divided by the invoices: what storing an invoice costs. */
const INVOICE_TABLES = ["invoice", "invoice_line", "invoice_vat", "invoice_input", "case_part"];

export interface FloorMeasure {
  /** Seconds of the COPY transaction (commit included). */
  readonly seconds: number;
  readonly rows: number;
  /** Bytes of the rows as COPY text. */
  readonly textBytes: number;
  /** pg_total_relation_size of the copies of the invoice tables (heap, TOAST, indexes) after the load. */
  readonly invoiceTablesBytes: number;
  readonly invoices: number;
  readonly perTable: readonly { table: string; rows: number }[];
  /** Foreign keys of the copies (checked at commit when deferred, as the night's). */
  readonly foreignKeys: number;
  /** CPU seconds of the COPY's PostgreSQL backend (user + system, /proc), undefined when the server is not on this machine. */
  readonly backendCpuSeconds: number | undefined;
}

export async function measureFloor(databaseUrl: string, runId: number): Promise<FloorMeasure> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // The rows the night wrote, as COPY text, in memory (read before the clock starts).
    const data: { table: string; chunks: Buffer[]; rows: number }[] = [];
    for (const { table, where } of NIGHT_TABLES) {
      const chunks: Buffer[] = [];
      const source = client.query(copyTo(`copy (select * from public.${table} where ${where.replaceAll("$run", String(runId))}) to stdout`));
      for await (const chunk of source) chunks.push(chunk as Buffer);
      data.push({ table, chunks, rows: Number((source as unknown as { rowCount?: number }).rowCount ?? countLines(chunks)) });
    }
    const foreignKeys = await emptyCopies(client);
    // The night's dirty pages are flushed before the clock starts: the floor pays for storing its own
    // rows, not for the night's checkpoint (without this the floor of one 100k night varied 8.9–13.5 s).
    await checkpoint(client);
    const pid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    const cpu0 = processCpuSeconds(pid, "postgres");
    const started = process.hrtime.bigint();
    await client.query("begin");
    for (const d of data) {
      if (d.rows === 0) continue;
      await pipeline(Readable.from(d.chunks), client.query(copyFrom(`copy ${SCHEMA}.${d.table} from stdin`)));
    }
    await client.query("commit");
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu1 = processCpuSeconds(pid, "postgres");
    const size = await client.query<{ bytes: string }>(
      `select sum(pg_total_relation_size(format('%I.%I', $1::text, t)::regclass))::text as bytes from unnest($2::text[]) t`, [SCHEMA, INVOICE_TABLES]);
    return {
      seconds,
      rows: data.reduce((n, d) => n + d.rows, 0),
      textBytes: data.reduce((n, d) => n + d.chunks.reduce((m, c) => m + c.length, 0), 0),
      invoiceTablesBytes: Number(size.rows[0]!.bytes),
      invoices: data.find((d) => d.table === "invoice")!.rows,
      perTable: data.map((d) => ({ table: d.table, rows: d.rows })),
      foreignKeys,
      backendCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    };
  } finally {
    await client.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => undefined);
    await client.end();
  }
}

/** Empty copies of the night's tables in the scratch schema, keys and foreign keys kept, no triggers. */
async function emptyCopies(client: pg.Client): Promise<number> {
  const tables = NIGHT_TABLES.map((t) => t.table);
  await client.query(`drop schema if exists ${SCHEMA} cascade`);
  await client.query(`create schema ${SCHEMA}`);
  for (const t of tables) await client.query(`create table ${SCHEMA}.${t} (like public.${t} including all)`);
  // Foreign keys as pg_get_constraintdef prints them with search_path public (unqualified names),
  // created with search_path scratch, public: a copied table resolves to its copy, any other to the original.
  const fks = await client.query<{ table: string; name: string; def: string }>(`
    select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as def
    from pg_constraint c where c.contype = 'f' and c.conrelid = any($1::regclass[]) order by c.conname`, [tables.map((t) => `public.${t}`)]);
  await client.query(`set search_path = ${SCHEMA}, public`);
  try {
    for (const fk of fks.rows) await client.query(`alter table ${SCHEMA}.${fk.table.replace(/^public\./, "")} add constraint ${fk.name} ${fk.def}`);
  } finally {
    await client.query("set search_path = public");
  }
  return fks.rows.length;
}

/**
 * `CHECKPOINT` (superuser or pg_checkpoint): writes every dirty page out, so what is timed next does
 * not pay for the writes before it. Skipped, with a word on stderr, where the role may not.
 */
export async function checkpoint(client: { query: (q: string) => Promise<unknown> }): Promise<void> {
  try {
    await client.query("checkpoint");
  } catch (e) {
    process.stderr.write(`bench: no CHECKPOINT before timing (${(e as Error).message}); figures may carry earlier writes\n`);
  }
}

function countLines(chunks: readonly Buffer[]): number {
  let n = 0;
  for (const c of chunks) for (const b of c) if (b === 10) n += 1;
  return n;
}
