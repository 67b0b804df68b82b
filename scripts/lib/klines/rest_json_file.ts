/**
 * Writing a kline file in the format of Binance's REST answer and of the project's fixtures: a JSON
 * array with one row per line, `[\n[row],\n[row]\n]\n`, rows exactly as Binance sent them. Rows are
 * appended as they arrive, so an interrupted download leaves a readable prefix: {@link openForAppend}
 * finds the last complete row of such a file (or of a finished one), cuts what follows, and keeps
 * appending after it. Nothing is written before the first append or `finish`: a run that fails
 * before its first row leaves no file, or the earlier file exactly as it was.
 */

/** A REST kline row: `[openTime, open, high, low, close, volume, closeTime, ...]`. */
export type RestRow = readonly unknown[];

/** An open kline file being appended to (see {@link openForAppend}). */
export interface RestJsonAppender {
  /** Rows already in the file when it was opened (complete rows of an earlier run). */
  readonly existing: number;
  /** Open time (ms) of the last row in the file, or null when it has none. */
  readonly lastOpenTime: number | null;
  /** Open time (ms) of the first row in the file, or null. */
  readonly firstOpenTime: number | null;
  /** The complete rows already in the file, in order (to check they are the series asked for). */
  readonly existingRows: readonly RestRow[];
  /** Appends rows (written to the file before it resolves). */
  append(rows: readonly RestRow[]): Promise<void>;
  /** Writes the closing bracket and closes the file (creating it, `[\n]\n`, when it had no row). */
  finish(): Promise<void>;
  /** Closes the file without the closing bracket (a later run resumes it); a no-op before a write. */
  close(): void;
}

const enc = new TextEncoder();

/**
 * Reads `path` for appending rows: on the first append or `finish` it is created (`[\n`) when
 * missing, else its complete rows are kept and an unfinished last line or the closing bracket is
 * dropped. Throws an Error naming the file and line when the file is not such a kline file.
 */
export async function openForAppend(path: string): Promise<RestJsonAppender> {
  let text: string | null = null;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  let keep = 0;
  let rows = 0;
  let first: number | null = null;
  let last: number | null = null;
  const existingRows: RestRow[] = [];
  if (text !== null && text.length > 0) {
    if (!text.startsWith("[\n")) {
      throw new Error(
        `${path}: not a kline file written by this tool (expected "[" on its own first line)`,
      );
    }
    keep = 2;
    let pos = 2;
    let line = 2;
    while (pos < text.length) {
      const nl = text.indexOf("\n", pos);
      if (nl < 0) break; // an unfinished last line
      const raw = text.slice(pos, nl);
      if (raw === "]") break; // the end of a finished file
      const body = raw.endsWith(",") ? raw.slice(0, -1) : raw;
      let row: unknown;
      try {
        row = JSON.parse(body);
      } catch {
        break; // cut mid-row
      }
      if (!Array.isArray(row) || typeof row[0] !== "number") {
        throw new Error(`${path}: line ${line} is not a kline row`);
      }
      if (last !== null && row[0] <= last) {
        throw new Error(`${path}: line ${line}: open times must increase`);
      }
      first ??= row[0];
      last = row[0];
      existingRows.push(row);
      rows++;
      keep = pos + body.length;
      pos = nl + 1;
      line++;
    }
  }
  let file: Deno.FsFile | null = null;
  const opened = async (): Promise<Deno.FsFile> => {
    if (file) return file;
    const f = await Deno.open(path, { write: true, create: true });
    if (text === null || text.length === 0) {
      await f.truncate(0);
      await writeAll(f, enc.encode("[\n"));
    } else {
      await f.truncate(keep);
      await f.seek(keep, Deno.SeekMode.Start);
    }
    return (file = f);
  };
  let count = rows;
  return {
    existing: rows,
    lastOpenTime: last,
    firstOpenTime: first,
    existingRows,
    async append(more) {
      if (more.length === 0) return;
      const f = await opened();
      const parts = more.map((r) => JSON.stringify(r));
      const text = (count > 0 ? ",\n" : "") + parts.join(",\n");
      await writeAll(f, enc.encode(text));
      count += more.length;
    },
    async finish() {
      const f = await opened();
      await writeAll(f, enc.encode(count > 0 ? "\n]\n" : "]\n"));
      f.close();
      file = null;
    },
    close() {
      file?.close();
      file = null;
    },
  };
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}
