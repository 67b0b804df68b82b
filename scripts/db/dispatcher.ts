/**
 * A pg_net-compatible worker for local Postgres: takes committed requests from
 * net.http_request_queue (LISTEN net_http_request + polling), sends them with fetch, records each
 * outcome in net._http_response (status, content, headers, timed_out, error_msg) and removes the
 * queue row — what pg_net's background worker does on Supabase. Like pg_net it never retries.
 *
 * Usage: `deno task db:dispatcher [--db-url URL] [--json]` (URL defaults to env SUPABASE_DB_URL, alias
 * DATABASE_URL); logs one line per request, as text or JSON; stops on SIGINT/SIGTERM.
 */

import postgres from "postgres";
import { DB_URL_HELP, DB_URL_OPTIONS, dbErrorMessage, dbUrlFrom } from "../lib/cli/database.ts";
import { consoleLogger, LOG_HELP, LOG_OPTIONS, type Logger } from "../lib/cli/log.ts";
import { parseCli, runCli, UsageError } from "../lib/cli/run_cli.ts";

const HELP = `usage: deno task db:dispatcher [--db-url URL] [--json]
Local stand-in for pg_net's worker: sends the requests queued in net.http_request_queue and records
each response in net._http_response. Runs until Ctrl-C.
${DB_URL_HELP}
${LOG_HELP}`;

/** Settings of a {@link NetDispatcher}. */
export interface DispatcherOptions {
  /** Database URL. */
  url: string;
  /** Poll interval in ms when no notification arrives (default 500). */
  pollMs?: number;
  /** Requests taken per round (default 50). */
  batchSize?: number;
  /** Responses older than this many hours are deleted, like pg_net's ttl (default 6). */
  responseTtlHours?: number;
  /** Receives one log entry per request sent or failed round. */
  log?: Logger;
}

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: Uint8Array | null;
  timeout_milliseconds: number;
}

interface HttpResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

/** Sends queued pg_net requests from a local database (see module doc). */
export class NetDispatcher {
  #sql: postgres.Sql;
  #opts: Required<Omit<DispatcherOptions, "log">> & { log: Logger };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #draining: Promise<number> | null = null;
  #again = false;
  #unlisten: (() => Promise<void>) | null = null;
  #lastCleanup = 0;

  constructor(opts: DispatcherOptions) {
    this.#opts = {
      url: opts.url,
      pollMs: opts.pollMs ?? 500,
      batchSize: opts.batchSize ?? 50,
      responseTtlHours: opts.responseTtlHours ?? 6,
      log: opts.log ?? (() => {}),
    };
    this.#sql = postgres(opts.url, { max: 3, connect_timeout: 10, onnotice: () => {} });
  }

  /** Starts listening and polling; resolves once the LISTEN is in place. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const sub = await this.#sql.listen("net_http_request", () => this.#kick());
    this.#unlisten = sub.unlisten;
    this.#kick();
    const tick = () => {
      if (!this.#running) return;
      this.#kick();
      this.#timer = setTimeout(tick, this.#opts.pollMs);
    };
    this.#timer = setTimeout(tick, this.#opts.pollMs);
  }

  /** Stops polling, waits for requests in flight, and closes the connections. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#unlisten?.().catch(() => {});
    await this.#draining?.catch(() => 0);
    await this.#sql.end({ timeout: 5 });
  }

  /** Sends every committed queued request once (in batches); returns how many were sent. */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const taken = await this.#sql<QueuedRequest[]>`
        delete from net.http_request_queue
        where id in (
          select id from net.http_request_queue order by id limit ${this.#opts.batchSize}
          for update skip locked)
        returning id, method::text as method, url, headers, body, timeout_milliseconds`;
      if (taken.length === 0) break;
      const rows = await Promise.all(taken.map((r) => this.#send(r)));
      await this.#sql`insert into net._http_response ${
        this.#sql(
          rows,
          "id",
          "status_code",
          "content_type",
          "headers",
          "content",
          "timed_out",
          "error_msg",
        )
      } on conflict (id) do nothing`;
      total += rows.length;
      if (taken.length < this.#opts.batchSize) break;
    }
    if (Date.now() - this.#lastCleanup > 60_000) {
      this.#lastCleanup = Date.now();
      await this.#sql`delete from net._http_response
        where created < now() - make_interval(hours => ${this.#opts.responseTtlHours})`;
    }
    return total;
  }

  #kick(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.drainOnce()
      .catch((e) => {
        this.#opts.log({
          level: "error",
          msg: "dispatcher drain failed",
          error: dbErrorMessage(e, this.#opts.url),
        });
        return 0;
      })
      .finally(() => {
        this.#draining = null;
        if (this.#again && this.#running) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #send(r: QueuedRequest): Promise<HttpResponseRow> {
    const started = performance.now();
    const row: HttpResponseRow = {
      id: r.id,
      status_code: null,
      content_type: null,
      headers: null,
      content: null,
      timed_out: false,
      error_msg: null,
    };
    try {
      const res = await fetch(r.url, {
        method: r.method,
        headers: r.headers ?? {},
        body: r.method === "GET" || r.body === null ? undefined : new Uint8Array(r.body),
        signal: AbortSignal.timeout(r.timeout_milliseconds),
      });
      row.status_code = res.status;
      row.content_type = res.headers.get("content-type");
      row.headers = Object.fromEntries(res.headers.entries());
      row.content = await res.text();
    } catch (e) {
      const err = e as Error;
      if (err.name === "TimeoutError" || err.name === "AbortError") {
        row.timed_out = true;
        row.error_msg = `Timeout of ${r.timeout_milliseconds} ms reached`;
      } else {
        row.error_msg = err.message.split("\n")[0];
      }
    }
    this.#opts.log({
      level: row.error_msg ? "warn" : "info",
      msg: "pg_net request sent",
      id: Number(r.id),
      method: r.method,
      url: r.url.replace(/\?.*$/, ""),
      status: row.status_code,
      error: row.error_msg,
      ms: Math.round(performance.now() - started),
    });
    return row;
  }
}

/** Runs `deno task db:dispatcher` until SIGINT/SIGTERM. */
export async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseCli(args, HELP, { ...DB_URL_OPTIONS, ...LOG_OPTIONS });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const url = dbUrlFrom(values);
  const log = consoleLogger(values.json ?? false);
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  Deno.addSignalListener("SIGINT", stopRequested);
  Deno.addSignalListener("SIGTERM", stopRequested);
  const d = new NetDispatcher({ url, log });
  try {
    await d.start();
  } catch (e) {
    await d.stop().catch(() => {});
    throw new UsageError(dbErrorMessage(e, url));
  }
  log({ level: "info", msg: "pg_net dispatcher running" });
  await stopped;
  await d.stop();
  log({ level: "info", msg: "pg_net dispatcher stopped" });
}

if (import.meta.main) await runCli(main);
