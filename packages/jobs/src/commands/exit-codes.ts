/**
 * The exit-code contract of every `billing` command (README "Exit codes"; issue 13):
 *   0  all done;
 *   1  done, with rejected items — each one listed with its reason (bad rows of a file, contracts or
 *      customers a step could not process while others went through, a replay that differs);
 *   2  usage or input error: a bad option, a bad file or header, an argument naming nothing that
 *      exists, a refused run date — nothing was done;
 *   3  a step failed: it could not run or nothing it attempted went through (every contract of a run
 *      failed, the database went away…); the output says which steps still ran.
 * A command raises the code it reached with {@link reachExitCode}; the highest one wins.
 */
export const EXIT = { done: 0, rejected: 1, usage: 2, stepFailed: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Raises process.exitCode to `code` (never lowers it: a failed step is not hidden by a later success). */
export function reachExitCode(code: ExitCode): void {
  const current = typeof process.exitCode === "number" ? process.exitCode : 0;
  if (code > current) process.exitCode = code;
}

/** Commands whose --help printed exit codes of their own (the generic paragraph is then left out). */
const OWN_EXIT_CODES = new WeakSet<object>();

/**
 * A command's own help paragraph naming its exit codes: `.addHelpText("after", ownExitCodes([...]))`. The
 * generic paragraph ({@link exitCodesHelp}, added to every command after) is then not printed too.
 */
export function ownExitCodes(lines: readonly string[]): (context: { command: object }) => string {
  const text = lines.join("\n");
  return ({ command }) => {
    OWN_EXIT_CODES.add(command);
    return text;
  };
}

/** The generic paragraph, for a command that printed none of its own. */
export const exitCodesHelp = ({ command }: { command: object }): string => (OWN_EXIT_CODES.has(command) ? "" : EXIT_CODES_HELP);

/** The help text's paragraph on exit codes (every command's --help). */
export const EXIT_CODES_HELP = `
Exit codes:
  0  all done
  1  done, with rejected items (each listed with its reason)
  2  usage or input error (bad option, file, header or date; nothing done)
  3  a step failed (the output says which steps still ran)`;
