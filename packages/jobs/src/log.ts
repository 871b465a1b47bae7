/**
 * Structured logs of the shell (issue 13; pino): one JSON line per event on stderr — with the run id
 * when there is one — and one per failed item with its reason; human text instead when stderr is a
 * terminal. Readable output (summaries, invoices) stays on stdout. Level: `--log-level`, else
 * $BILLING_LOG_LEVEL, else info (silent under the test runner unless set).
 */
import pino, { type Logger } from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const HIDDEN = new Set(["level", "time", "msg"]);
const LABEL: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

/** One JSON log line as a terminal line: `12:00:01 WARN contract failed runId=3 contractId=K1 reason=…`. */
export function humanLine(json: string): string {
  try {
    const o = JSON.parse(json) as Record<string, unknown>;
    const time = typeof o["time"] === "string" ? o["time"].slice(11, 19) : "";
    const rest = Object.entries(o)
      .filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    return `${time} ${LABEL[o["level"] as number] ?? o["level"]} ${String(o["msg"] ?? "")}${rest ? ` ${rest}` : ""}\n`;
  } catch {
    return json;
  }
}

/** A logger writing to `stream` (default stderr): JSON lines, or human lines when `human` (default: the stream is a TTY). */
export function createLogger(level: LogLevel = "info", stream: NodeJS.WritableStream = process.stderr, human = Boolean((stream as { isTTY?: boolean }).isTTY)): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    { write: (line: string) => void stream.write(human ? humanLine(line) : line) },
  );
}

const defaultLevel = (): LogLevel => {
  const env = process.env["BILLING_LOG_LEVEL"];
  if (env && (LOG_LEVELS as readonly string[]).includes(env)) return env as LogLevel;
  return process.env["VITEST"] ? "silent" : "info";
};

let current: Logger | undefined;

/** The process's logger (the command line sets its level from --log-level). */
export function log(): Logger {
  return (current ??= createLogger(defaultLevel()));
}

/** Replaces the process's logger (the command line's --log-level; tests capture lines with their own stream). */
export function setLogger(logger: Logger): void {
  current = logger;
}
