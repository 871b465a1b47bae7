/**
 * Errors as RFC 9457 problem details (`application/problem+json`): `type` (a URI reference naming the
 * kind of problem, documented in docs/api.md), `title` (the same for every occurrence of that kind),
 * `status`, `detail` (this occurrence), and — for a request that does not validate — `errors`, one per
 * field: where it is (`in`: body, query, path or header), its JSON pointer, its path as the CLI prints
 * it, and the reason.
 */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface FieldError {
  readonly in: "body" | "querystring" | "params" | "headers";
  /** JSON pointer into the part named by `in`, e.g. "/reads/0/index". */
  readonly pointer: string;
  /** The same path written as the CLI and the store's parsers write it, e.g. "reads[0].index". */
  readonly field: string;
  readonly detail: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

/** Every kind of problem the API answers with: its type URI, title and status. */
export const PROBLEMS = {
  invalidRequest: { type: "/problems/invalid-request", title: "The request is not valid", status: 400 },
  unauthorized: { type: "/problems/unauthorized", title: "A valid API token is required", status: 401 },
  forbidden: { type: "/problems/insufficient-scope", title: "The token's scope does not allow this", status: 403 },
  notFound: { type: "/problems/not-found", title: "No such resource", status: 404 },
  blocked: { type: "/problems/correction-blocked", title: "The recalculation cannot be committed as asked", status: 409 },
  keyReused: { type: "/problems/idempotency-key-reused", title: "This Idempotency-Key was used for another request", status: 422 },
  notRenderable: { type: "/problems/not-renderable", title: "The document cannot be rendered", status: 422 },
  internal: { type: "/problems/internal", title: "A step failed", status: 500 },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

/** A problem to answer with, thrown by handlers and turned into the response by the error handler. */
export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly problem: Problem;
  constructor(kind: ProblemKind, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.problem = { ...PROBLEMS[kind], detail, ...extra };
  }
}

/** "/reads/0/index" → "reads[0].index" (the CLI's formatPath). */
export function fieldOf(pointer: string): string {
  const parts = pointer.split("/").filter((p) => p !== "");
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === "" ? p : `.${p}`;
  return out === "" ? "(root)" : out;
}

/** A dotted path of the core's parsers ("reads[0].index") as a JSON pointer ("/reads/0/index"). */
export function pointerOf(field: string): string {
  if (field === "(root)") return "";
  return "/" + field.replace(/\[(\d+)\]/g, ".$1").split(".").filter((p) => p !== "").join("/");
}
