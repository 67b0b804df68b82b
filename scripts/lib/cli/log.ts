/**
 * Log lines of long-running processes (dispatcher, relay, stack): text for people by default, one
 * JSON object per line with `--json` (`LOG_OPTIONS` / `logFromOptions`).
 */

/** One log entry: a level, a short message and named fields. */
export interface LogEntry {
  level: "info" | "warn" | "error";
  msg: string;
  [field: string]: unknown;
}

/** Receives log entries. */
export type Logger = (entry: LogEntry) => void;

/** parseArgs option: `--json` (JSON log lines). */
export const LOG_OPTIONS = { json: { type: "boolean" } } as const;

/** Help line for {@link LOG_OPTIONS}. */
export const LOG_HELP = "  --json         log one JSON object per line (default: text lines)";

/**
 * Formats an entry as text: `2025-01-01T00:00:00Z info  pg_net request sent id=3 status=200`
 * (fields in insertion order; null and undefined fields left out; strings with spaces quoted).
 */
export function formatLogText(e: LogEntry, now: Date = new Date()): string {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const fields = Object.entries(e)
    .filter(([k, v]) => k !== "level" && k !== "msg" && v !== null && v !== undefined)
    .map(([k, v]) => {
      const s = typeof v === "string" ? v : JSON.stringify(v);
      return `${k}=${/[\s"]/.test(s) ? JSON.stringify(s) : s}`;
    });
  return [time, e.level.padEnd(5), e.msg, ...fields].join(" ");
}

/**
 * A logger writing one line per entry to stdout: JSON (`{"time":…,"level":…,"msg":…,…}`) when
 * `json`, else {@link formatLogText}.
 */
export function consoleLogger(json: boolean): Logger {
  return (e) => {
    const now = new Date();
    console.log(json ? JSON.stringify({ time: now.toISOString(), ...e }) : formatLogText(e, now));
  };
}
