/** @billing/api — the HTTP API and agent page over @billing/jobs' application functions (docs/api.md). */
export { buildServer, openApiDocument, API_VERSION, type ServerOptions } from "./server.ts";
export { PROBLEMS, PROBLEM_CONTENT_TYPE, ProblemError, type Problem, type FieldError } from "./problem.ts";
export { serve, type ServeOptions } from "./serve.ts";
