/**
 * Logs as one JSON object per line: `{"time":"…","level":"info","msg":"…", ...fields}`. Supabase's
 * function logs and the local stack both read them line by line. Never log secrets or whole inputs:
 * fields are truncated to {@link MAX_FIELD} characters.
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Longest string field written (longer ones are cut with "…"). */
export const MAX_FIELD = 500;

/** A structured logger. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  with(fields: Record<string, unknown>): Logger;
}

/**
 * A logger writing lines at `level` or above to `write` (default: console.log for debug/info,
 * console.error for warn/error).
 */
export function createLogger(
  level: LogLevel = "info",
  write?: (line: string, level: LogLevel) => void,
  base: Record<string, unknown> = {},
): Logger {
  const out = write ??
    ((
      line: string,
      l: LogLevel,
    ) => (RANK[l] >= RANK.warn ? console.error(line) : console.log(line)));
  const emit = (l: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[l] < RANK[level]) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level: l, msg };
    for (const [k, v] of Object.entries({ ...base, ...fields })) rec[k] = clip(v);
    out(JSON.stringify(rec), l);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    with: (f) => createLogger(level, out, { ...base, ...f }),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger("error", () => {});

function clip(v: unknown): unknown {
  if (typeof v === "string") return v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v;
  if (v instanceof Error) return clip(v.message);
  return v;
}

/** The message of an error as one short line (no stack). */
export function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split("\n")[0];
  return line.length > MAX_FIELD ? `${line.slice(0, MAX_FIELD)}…` : line;
}
