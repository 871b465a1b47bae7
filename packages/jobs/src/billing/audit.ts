/**
 * Finance audit over a range (issue 12 point 4; DESIGN job 3): replay every document issued between
 * two dates — optionally in one series — and check each series' hash chain and numbering. A library
 * function the CLI (`billing audit`) only formats; an HTTP API will call it the same way.
 *
 * Streaming: documents are read by keyset pages on (issue_date, id) (index invoice_issue_date,
 * migration 0012) with their lines, VAT groups and stored inputs in one query per table, the shared
 * case parts once per page for the hashes not seen yet; memory holds one page and the mismatches.
 * Each document replays through the same pure core as `billing invoice replay` (replay.ts), with the
 * rules of the engine version stored on it (default) or today's (`rules: "today"`).
 *
 * Credit notes: the documents audited today are the invoice table's kinds (monthly invoices and
 * true-ups). Credit notes (issue 12 point 3, branch i12-recalc) plug in at {@link auditDocument}: a
 * credit note must equal minus what it cancels — one more `case` there and one more page source.
 */
import { ENGINE_VERSION, type LocalDate } from "@billing/core";
import { type ChainProblem, type ChainVerification, type StoredInvoice, type Store, contentProblemOf, countIssuedInRange, issuedSeries, loadCaseParts, loadIssuedPage, mergeChainProblems, verifyChain } from "@billing/db";
import { type ReplayDifference, type ReplayOptions, type ReplayResult, ReplayMemo, checkCreditNote, replayWithParts, sharedPartHashes } from "./replay.ts";

export interface AuditOptions {
  /** First issue date audited (included). */
  readonly from: LocalDate;
  /** Last issue date audited (included). */
  readonly to: LocalDate;
  /** Only this series, e.g. "FA-2026" (default: every series). */
  readonly series?: string | undefined;
  /** "issued": each document with the rules of the engine that issued it; "today": this engine's (default: "issued"). */
  readonly rules?: ReplayOptions["rules"];
  /** Documents per page (default: 500). */
  readonly pageSize?: number;
  /** Called after every page. */
  readonly onProgress?: (p: AuditProgress) => void;
  /**
   * Check the hash chain and numbering of each series met (default: true). Each document's content hash
   * is checked as it is replayed (its lines are read once); the chain check then reads only numbers and
   * links for the range. "content": only the content hashes of the documents audited (one process of a
   * split audit: the parent checks numbering and links once, auditInProcesses).
   */
  readonly chains?: boolean | "content";
  /** Audit only the documents with id in (afterId, toId] — one worker's share of a split audit. */
  readonly afterId?: number | undefined;
  readonly toId?: number | undefined;
}

export interface AuditProgress {
  readonly done: number;
  readonly total: number;
  readonly mismatches: number;
}

/** A differing line, named: what an auditor reads first. */
export interface AuditLineDifference {
  readonly lineNo: number;
  readonly kind: string | null;
  readonly fields: readonly string[];
}

export interface AuditMismatch {
  readonly number: string;
  readonly kind: string;
  readonly contractId: string;
  readonly issueDate: string;
  readonly engineVersion: string;
  readonly status: "differs" | "unreplayable";
  /** Why, in one sentence. */
  readonly reason: string;
  /** The lines that differ (empty when only the head, the totals or the input differ). */
  readonly lines: readonly AuditLineDifference[];
  readonly differences: readonly ReplayDifference[];
}

export interface AuditedChain {
  readonly series: string;
  readonly count: number;
  readonly ok: boolean;
  readonly problems: readonly ChainProblem[];
}

export interface AuditReport {
  readonly from: LocalDate;
  readonly to: LocalDate;
  readonly series: string | null;
  readonly rules: "issued" | "today";
  /** The engine that ran the audit. */
  readonly engineVersion: string;
  readonly documents: number;
  readonly matches: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Every document that did not match, in issue order. */
  readonly mismatches: readonly AuditMismatch[];
  readonly chains: readonly AuditedChain[];
  /** Document kinds not audited yet, and why (credit notes until they exist in the store). */
  readonly notCovered: readonly string[];
  /** True when every document matches and every chain is intact. */
  readonly ok: boolean;
}

/** Documents replayed between two turns of the event loop while the next page is read (issue 15). */
const YIELD_EVERY = 50;

/** Replays every document issued in [from, to] and checks the chains of their series. Never throws on a bad document (it is a mismatch); a store failure throws. */
export async function auditRange(store: Store, options: AuditOptions): Promise<AuditReport> {
  const db = store.db;
  const pageSize = options.pageSize ?? 500;
  const rules = options.rules ?? "issued";
  const total = await countIssuedInRange(db, options);

  const bodies = new Map<string, unknown>();
  // One memo for the whole range (issue 15): each shared part hashed and parsed once, one object per part
  // for every document naming it, and the core's offer and reference values derived once per process.
  const memo = new ReplayMemo();
  const chainsMode = options.chains ?? true;
  const contentProblems = new Map<string, ChainProblem[]>();
  const seenPerSeries = new Map<string, number>();
  const mismatches: AuditMismatch[] = [];
  const byKind: Record<string, number> = {};
  const seriesSeen = new Set<string>();
  let done = 0;
  // On PostgreSQL the next page is read while this one is replayed (a pool of connections; the
  // embedded store has one, so it reads page by page). `catch` only marks a prefetch that fails while a
  // page is being replayed as handled: its error is thrown by the `await` that takes it.
  const prefetch = store.kind === "postgres";
  const pageAfter = (after: { date: string; id: number } | null): Promise<StoredInvoice[]> => {
    const p = loadIssuedPage(db, options, after, pageSize);
    p.catch(() => undefined);
    return p;
  };
  // Issue 15: on PostgreSQL the numbering and links of the range's series are read while the documents
  // are replayed, on another connection of the pool (they do not depend on the replays).
  const links = prefetch && chainsMode === true
    ? (options.series !== undefined ? Promise.resolve([options.series]) : issuedSeries(db, options)).then((series) => verifyLinks(db, series, options))
    : undefined;
  links?.catch(() => undefined);
  let next = pageAfter(null);
  for (;;) {
    const stored: StoredInvoice[] = await next;
    if (stored.length === 0) break;
    const lastOfPage = stored[stored.length - 1]!.invoice;
    const cursor = { date: lastOfPage.issue_date, id: lastOfPage.id };
    if (prefetch) next = pageAfter(cursor);
    // The shared case parts of the page not loaded yet (a handful per run: they are shared). Past 2,000
    // parts held, all are forgotten (with what the memo derived from them) and the page's own read again.
    const pageParts = new Set<string>();
    for (const s of stored) {
      const h = sharedPartHashes(s);
      if (typeof h !== "string") for (const x of Object.values(h)) pageParts.add(x);
    }
    let wanted = [...pageParts].filter((x) => !bodies.has(x));
    if (wanted.length > 0 && bodies.size > 2_000) {
      bodies.clear();
      memo.clear();
      wanted = [...pageParts];
    }
    if (wanted.length > 0) {
      const rows = await loadCaseParts(db, wanted);
      for (const r of rows) bodies.set(r.hash, r.body as unknown);
    }
    // Issue 15: each document is let go once replayed (its rows, the document rebuilt from them, the
    // replay's own objects), so it dies in the young generation rather than surviving the page.
    const page: (StoredInvoice | undefined)[] = stored;
    for (let k = 0; k < page.length; k++) {
      const s = page[k]!;
      page[k] = undefined;
      // Issue 15: the next page's reads go on while this page is replayed only if the event loop turns — its
      // first query's answer must be taken to send the next three (lines, VAT groups, inputs): a turn every
      // YIELD_EVERY documents, else the prefetch stopped at its first query and the audit waited for the rest.
      if (prefetch && k > 0 && k % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      seriesSeen.add(s.invoice.series_id);
      if (chainsMode !== false) {
        seenPerSeries.set(s.invoice.series_id, (seenPerSeries.get(s.invoice.series_id) ?? 0) + 1);
        const p = contentProblemOf(s.invoice, s.document);
        if (p) contentProblems.set(s.invoice.series_id, [...(contentProblems.get(s.invoice.series_id) ?? []), p]);
      }
      byKind[s.invoice.kind] = (byKind[s.invoice.kind] ?? 0) + 1;
      const m = s.invoice.kind === "creditNote" ? await auditCreditNote(db, s) : auditDocument(s, bodies, rules, memo);
      if (m) mismatches.push(m);
    }
    done += stored.length;
    if (!prefetch) next = pageAfter(cursor);
    options.onProgress?.({ done, total, mismatches: mismatches.length });
  }

  const chains: AuditedChain[] = [];
  if (chainsMode === "content") {
    for (const s of [...seriesSeen].sort()) {
      const problems = contentProblems.get(s) ?? [];
      chains.push({ series: s, count: seenPerSeries.get(s) ?? 0, ok: problems.length === 0, problems });
    }
  } else if (chainsMode) {
    const series = options.series !== undefined ? [options.series] : [...seriesSeen].sort();
    chains.push(...(await checkChains(db, series, options, contentProblems, links === undefined ? undefined : await links)));
  }
  return {
    from: options.from,
    to: options.to,
    series: options.series ?? null,
    rules,
    engineVersion: ENGINE_VERSION,
    documents: done,
    matches: done - mismatches.length,
    byKind,
    mismatches,
    chains,
    notCovered: [],
    ok: mismatches.length === 0 && chains.every((c) => c.ok),
  };
}

/**
 * The numbering and links of each series (and the content of its documents issued outside [from, to]):
 * verifyChain with the content of the range's documents left to the replays, which check it as they
 * read them. What it finds does not depend on the replays, so a split audit runs it while they run.
 */
export async function verifyLinks(db: Store["db"], series: readonly string[], range: { readonly from: LocalDate; readonly to: LocalDate }): Promise<Map<string, ChainVerification>> {
  const out = new Map<string, ChainVerification>();
  for (const s of series) out.set(s, await verifyChain(db, s, { contentCheckedIn: { from: range.from, to: range.to } }));
  return out;
}

/**
 * The hash chain and numbering of each series, the content of the documents issued in [from, to]
 * having been checked as they were replayed (`contentProblems`, by series): only numbers and links are
 * read for them, and the content of the series' other documents. `verified`: the series whose numbering
 * and links were checked already (verifyLinks, run beside the replays); the others are checked here.
 */
export async function checkChains(
  db: Store["db"],
  series: readonly string[],
  range: { readonly from: LocalDate; readonly to: LocalDate },
  contentProblems: ReadonlyMap<string, readonly ChainProblem[]>,
  verified: ReadonlyMap<string, ChainVerification> = new Map(),
): Promise<AuditedChain[]> {
  const out: AuditedChain[] = [];
  for (const s of series) {
    const links = verified.get(s) ?? (await verifyChain(db, s, { contentCheckedIn: { from: range.from, to: range.to } }));
    const v = mergeChainProblems(links, contentProblems.get(s) ?? []);
    out.push(v.ok ? { series: s, count: v.count, ok: true, problems: [] } : { series: s, count: v.count, ok: false, problems: v.problems });
  }
  return out;
}

/**
 * One document's audit: null when it matches. The one place that knows each kind of document —
 * a credit note (when the store has them) adds its case here: it must equal minus what it cancels.
 */
export function auditDocument(
  s: StoredInvoice,
  bodies: ReadonlyMap<string, unknown>,
  rules: "issued" | "today",
  memo: ReplayMemo = new ReplayMemo(),
): AuditMismatch | null {
  switch (s.invoice.kind) {
    case "monthlyInvoice":
    case "trueUpInvoice":
    case "chargesInvoice": {
      const r = replayWithParts(s, bodies, { rules }, memo);
      return r.status === "match" ? null : mismatchOf(s, r);
    }
    case "creditNote":
      throw new Error(`auditDocument: credit note ${s.invoice.number} needs the store (auditCreditNote)`);
  }
}

/** R5 · CGV 6.6: a credit note must equal minus the invoice it cancels (checkCreditNote); null when it does. */
async function auditCreditNote(db: Store["db"], s: StoredInvoice): Promise<AuditMismatch | null> {
  const r = await checkCreditNote(db, s);
  return r.status === "match" ? null : mismatchOf(s, r);
}

function mismatchOf(s: StoredInvoice, r: Exclude<ReplayResult, { status: "match" }>): AuditMismatch {
  const head = {
    number: s.invoice.number,
    kind: s.invoice.kind,
    contractId: s.invoice.contract_id,
    issueDate: s.invoice.issue_date,
    engineVersion: s.invoice.engine_version,
  };
  if (r.status === "unreplayable") return { ...head, status: "unreplayable", reason: r.reason, lines: [], differences: [] };
  const byLine = new Map<number, Set<string>>();
  for (const d of r.differences) {
    const m = /^lines\[(\d+)\](?:\.([A-Za-z]+))?/.exec(d.path);
    if (!m) continue;
    const k = Number(m[1]);
    let f = byLine.get(k);
    if (!f) byLine.set(k, (f = new Set()));
    f.add(m[2] ?? "(whole line)");
  }
  const lines = [...byLine.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, f]) => ({ lineNo: k + 1, kind: s.document.lines[k]?.kind ?? null, fields: [...f] }));
  return { ...head, status: "differs", reason: reasonOf(r), lines, differences: r.differences };
}

/** Why a replay differs, in one sentence: the input altered, a rule change between engines, or the stored document altered. */
function reasonOf(r: Extract<ReplayResult, { status: "differs" }>): string {
  if (r.differences.some((d) => d.path === "input" || d.path === "input.caseHash")) {
    return "the stored input no longer matches the hash recorded at issue: it was altered after issue";
  }
  if (r.engine.rules !== r.engine.issued) {
    return `computed with the rules of engine ${r.engine.rules}, issued by engine ${r.engine.issued}: what the rule change between them gives (docs/rules.md, versioned rules)`;
  }
  return `the stored document differs from what its stored input computes with the rules of engine ${r.engine.rules} that issued it: altered after issue (check the series' chain) or an engine defect`;
}
