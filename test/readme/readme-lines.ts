/**
 * The README's command lines (issue 13: "the README's every command line runs as written on a fresh
 * clone"): every `pnpm billing …` and `pnpm demo` line of its ```sh blocks, with its line number.
 */

export interface ReadmeLine {
  /** 1-based line number in README.md. */
  readonly lineNo: number;
  /** The line as written (trimmed). */
  readonly text: string;
  /** The command to run: the `pnpm billing …` / `pnpm demo …` part, without a trailing `# comment` or a leading `pnpm install &&`. */
  readonly command: string;
  /** Needs a PostgreSQL server (the job queue, its workers, `--workers`, an explicit DATABASE_URL). */
  readonly needsPostgres: boolean;
  /** A long-running process (a queue worker without --once): started in the background, stopped with SIGTERM. */
  readonly background: boolean;
}

const POSTGRES = /(^|\s)(--queue|--workers|--database-url)(\s|=|$)|\bDATABASE_URL=|\bbilling worker\b/;

export function readmeLines(readme: string): ReadmeLine[] {
  const out: ReadmeLine[] = [];
  let inShell = false;
  readme.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("```")) {
      inShell = !inShell && /^```(sh|bash|shell)?$/.test(line);
      return;
    }
    if (!inShell) return;
    const command = line.replace(/\s+#.*$/, "").replace(/^pnpm install(\s+--frozen-lockfile)?\s*&&\s*/, "").trim();
    if (!/^(\w+=\S+\s+)*pnpm (billing|demo)\b/.test(command)) return;
    out.push({
      lineNo: i + 1,
      text: line,
      command,
      needsPostgres: POSTGRES.test(command),
      background: /\bbilling worker\b/.test(command) && !/\s--once\b/.test(command),
    });
  });
  return out;
}
