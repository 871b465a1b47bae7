/**
 * The audit over several processes (`billing audit --workers N`, PostgreSQL only): the documents of
 * the range are cut into N id ranges of about the same count; each process replays its own
 * (audit-worker.ts, auditRange with afterId/toId, checking each document's content hash as it replays
 * it); the parent merges the reports and checks each series' numbering and links once. The merged report equals the one-process report:
 * the same counts, the same mismatches (in issue order), the same chains.
 */
import { fileURLToPath } from "node:url";
import { type ChainProblem, type Store, issuedIdBounds, issuedSeries } from "@billing/db";
import { type AuditOptions, type AuditProgress, type AuditReport, type AuditedChain, auditRange, checkChains, verifyLinks } from "./audit.ts";
import { forkWorker, workerModule } from "../worker-module.ts";
import { allProcesses, endedWithout } from "../parent-channel.ts";

const AUDIT_WORKER = fileURLToPath(new URL("./audit-worker.ts", import.meta.url));

/** The upper id of each of `parts` slices of the range's documents (ids in the range, about equal counts). */
function idBounds(store: Store, o: AuditOptions, parts: number): Promise<number[]> {
  return issuedIdBounds(store.db, o, parts);
}

export async function auditInProcesses(store: Store, options: AuditOptions, workers: number, databaseUrl: string): Promise<AuditReport> {
  const bounds = workers > 1 ? await idBounds(store, options, workers) : [];
  if (bounds.length <= 1) return auditRange(store, options);
  const { onProgress, ...shared } = options;
  const progress = new Map<number, AuditProgress>();
  // Issue 15: the processes run the audit worker's bundle (plain node), as the night's workers do.
  const module = await workerModule(AUDIT_WORKER);
  // Issue 15: the numbering and links of the range's series are checked here while the processes replay
  // (they were the audit's serial tail). `catch` only marks a failure as handled until it is awaited below.
  const chainsWanted = options.chains ?? true;
  const links = chainsWanted
    ? (options.series !== undefined ? Promise.resolve([options.series]) : issuedSeries(store.db, options)).then((series) => verifyLinks(store.db, series, options))
    : undefined;
  links?.catch(() => undefined);
  // Every process is waited for, even after one has failed, then every failure is reported (as the night's workers).
  const reports = await allProcesses(
    bounds.map(
      (toId, k) =>
        new Promise<AuditReport>((resolve, reject) => {
          const child = forkWorker(module, databaseUrl);
          child.send({ ...shared, ...(k === 0 ? {} : { afterId: bounds[k - 1] }), toId }, (e) => {
            if (e) reject(new Error(`audit process ${k + 1}: ${e.message}`));
          });
          let report: AuditReport | undefined;
          child.on("message", (m: { progress?: AuditProgress; report?: AuditReport; error?: string }) => {
            if (m.progress) {
              progress.set(k, m.progress);
              const all = [...progress.values()];
              onProgress?.({ done: all.reduce((n, p) => n + p.done, 0), total: all.reduce((n, p) => n + p.total, 0), mismatches: all.reduce((n, p) => n + p.mismatches, 0) });
            }
            if (m.report) report = m.report;
            if (m.error) reject(new Error(`audit process ${k + 1}: ${m.error}`));
          });
          // "close", not "exit": it comes once the IPC channel has closed too, after every message of the process.
          child.on("close", (code, signal) => (report ? resolve(report) : reject(new Error(`audit process ${k + 1} ${endedWithout(code, signal)} before its report`))));
        }),
    ),
  );
  const byKind: Record<string, number> = {};
  for (const r of reports) for (const [kind, n] of Object.entries(r.byKind)) byKind[kind] = (byKind[kind] ?? 0) + n;
  const mismatches = reports.flatMap((r) => r.mismatches).sort((a, b) => (a.issueDate < b.issueDate ? -1 : a.issueDate > b.issueDate ? 1 : a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
  const chains: AuditedChain[] = [];
  if (links !== undefined) {
    // Each process checked the content hashes of its documents; numbering and links were checked once here,
    // beside them (a series the processes met that was not listed then is checked now).
    const content = new Map<string, ChainProblem[]>();
    for (const r of reports) for (const c of r.chains) content.set(c.series, [...(content.get(c.series) ?? []), ...c.problems]);
    const series = options.series !== undefined ? [options.series] : [...new Set(reports.flatMap((r) => r.chains.map((c) => c.series)))].sort();
    chains.push(...(await checkChains(store.db, series, options, content, await links)));
  }
  const documents = reports.reduce((n, r) => n + r.documents, 0);
  return {
    ...reports[0]!,
    documents,
    matches: documents - mismatches.length,
    byKind,
    mismatches,
    chains,
    ok: mismatches.length === 0 && chains.every((c) => c.ok),
  };
}
