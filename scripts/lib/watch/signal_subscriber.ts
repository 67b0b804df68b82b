/**
 * A Realtime subscriber to stored signals that loses none across reconnects: the core of
 * `deno task watch`, on `@supabase/supabase-js` (a hosted project or the local stack alike).
 *
 * Supabase Realtime does not replay changes missed while a client was disconnected, so:
 * 1. before subscribing, read the most recent signal ids through the Data API (they count as seen;
 *    the newest `last` of them are printed);
 * 2. subscribe to INSERTs and UPDATEs on `public.signals` (`postgres_changes`, filtered by symbol, or
 *    else by timeframe, on the server; both on the client);
 * 3. on every SUBSCRIBED (the first one and each rejoin after a reconnect), query the signals with
 *    `id > highest printed − overlap` and print those not seen yet, then the live events that arrived
 *    meanwhile. Ids are printed at most once; the overlap re-reads the last ids because identity values
 *    are allocated at insert but become visible at commit, which need not be in id order.
 *
 * Withdrawn signals (superseded after a late or changed candle: `superseded_at` set) are never printed
 * as new: the first read asks for live ones only, and a catch-up row or an INSERT event that is
 * already superseded is skipped. A printed signal withdrawn later (its UPDATE event, or a catch-up
 * row after a reconnect) is reported once through `onWithdrawn`.
 *
 * What realtime-js does not report, this does:
 * - while the connection is down, the Data API is asked every `probeMs` whether the key (and token)
 *   still read signals: a project that now refuses them (keys rotated, a local stack restarted with
 *   other keys) ends the watch with that error instead of a silent reconnect loop;
 * - a channel the server closes (its token expired, a refused `access_token`) ends the watch with
 *   the server's reason: realtime-js does not rejoin a closed channel;
 * - a database that was replaced under the same project (the local stack restarted on a throwaway
 *   database: ids start again at 1) is noticed at the catch-up (the newest id is below the highest
 *   printed and is not a signal seen before) or when a known id arrives holding another signal
 *   (symbol, timeframe, bar): the subscriber then follows the new database from its first signal.
 *
 * Every step runs in one queue, so a catch-up and the live events around it never interleave.
 */

import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import {
  signalFromRow,
  type SignalRecord,
  withdrawalFromRow,
  type WithdrawnSignal,
} from "../report/signal_preview.ts";

/** How a signal reached the subscriber. */
export type SignalSource = "last" | "live" | "catch-up";

/** Settings of {@link subscribeSignals}. */
export interface SignalSubscriberOptions {
  /** A client for the project (URL and key; with a user's session or `accessToken` if needed). */
  client: SupabaseClient;
  /** Only this symbol (e.g. BTCUSDT). */
  symbol?: string;
  /** Only this timeframe (Binance interval name, e.g. 1h). */
  timeframe?: string;
  /** First print the `last` most recent matching signals (default 0). */
  last?: number;
  /** Ids below the highest printed one that each catch-up reads again (default 200). */
  overlap?: number;
  /** Rows per catch-up request (default 500; PostgREST's max_rows is 1000). */
  pageSize?: number;
  /** Called once per signal, in the order printed. */
  onSignal(s: SignalRecord, via: SignalSource): void;
  /** Called once for a printed signal that was withdrawn (superseded) since. */
  onWithdrawn?(w: WithdrawnSignal, via: "live" | "catch-up"): void;
  /** One-line notes for people: reconnecting, resubscribed, warnings. */
  onNote?(line: string): void;
  /** An error that ends the watch (the key cannot read signals, the subscription is refused, …). */
  onFatal(e: Error): void;
  /** Channel name (default `signals-watch`). */
  channelName?: string;
  /** How often the Data API is checked while Realtime is disconnected (ms, default 5000). */
  probeMs?: number;
  /** What the client authenticates with, for error messages (default "key"). */
  credential?: "key" | "token";
}

/** A running subscriber. */
export interface SignalSubscriber {
  /** Settles after the first SUBSCRIBED and its catch-up (rejects on a fatal error first). */
  ready: Promise<void>;
  stats: {
    live: number;
    catchUp: number;
    last: number;
    subscribed: number;
    duplicates: number;
    /** Printed signals reported withdrawn. */
    withdrawn: number;
    /** Times the project's signals were found replaced (a new database). */
    resets: number;
  };
  /** Leaves the channel and closes the Realtime connection. */
  stop(): Promise<void>;
}

/** Statuses of a Data API answer that retrying cannot fix (bad key, no rights, bad request). */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * The Data API's error as one line, with a hint for the usual cause: a role without the right to read
 * signals (Postgres 42501), or a key or token the project does not accept (PostgREST's JWT errors
 * PGRST301/PGRST303, the gateway's "Invalid API key"); `credential` names what the client sent.
 */
function dataApiError(
  status: number,
  error: { message?: string; code?: string } | null,
  credential: "key" | "token",
): Error {
  const msg = error?.message ?? `HTTP ${status}`;
  if (error?.code === "42501") {
    return new Error(
      `this ${credential} cannot read signals (${msg}): pass a signed-in user's token, or open signals to anon (deno task db:configure --anon-signals on)`,
    );
  }
  if (status === 401 || status === 403) {
    const fix = /expired/i.test(msg)
      ? "pass a fresh one"
      : "check it belongs to this project (the local stack's are in .cache/local-api.json)";
    return new Error(`the project refused the ${credential} (${msg}): ${fix}`);
  }
  return new Error(`the Data API refused the signals query (HTTP ${status}): ${msg}`);
}

/** A signal's identity besides its id: one signal per (symbol, timeframe, bar open time). */
function naturalKey(row: Record<string, unknown>): string {
  return `${row.symbol}|${row.timeframe}|${Date.parse(String(row.open_time))}`;
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

/** Subscribes (see the module doc) and returns at once; progress arrives through the callbacks. */
export function subscribeSignals(opts: SignalSubscriberOptions): SignalSubscriber {
  const { client } = opts;
  const overlap = opts.overlap ?? 200;
  const pageSize = opts.pageSize ?? 500;
  const probeMs = opts.probeMs ?? 5000;
  const credential = opts.credential ?? "key";
  const note = opts.onNote ?? (() => {});
  const stats = {
    live: 0,
    catchUp: 0,
    last: 0,
    subscribed: 0,
    duplicates: 0,
    withdrawn: 0,
    resets: 0,
  };
  /** Printed (or skipped as older than the watch) ids, with their signal's natural key. */
  const seen = new Map<number, string>();
  /** Ids printed, and those of them reported withdrawn. */
  const printed = new Set<number>();
  const reportedWithdrawn = new Set<number>();
  let highest = 0;
  let stopped = false;
  let failed = false;
  let connected = false;
  let probe: ReturnType<typeof setTimeout> | undefined;
  let queue: Promise<void> = Promise.resolve();
  let channel: RealtimeChannel | null = null;
  let readyResolve: () => void = () => {};
  let readyReject: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });
  ready.catch(() => {}); // reported through onFatal

  const fatal = (e: Error) => {
    if (failed || stopped) return;
    failed = true;
    clearTimeout(probe);
    readyReject(e);
    opts.onFatal(e);
  };
  const enqueue = (task: () => Promise<void> | void) => {
    queue = queue.then(async () => {
      if (!failed && !stopped) await task();
    }).catch((e) => fatal(e instanceof Error ? e : new Error(String(e))));
  };

  const matches = (row: Record<string, unknown>) =>
    (opts.symbol === undefined || row.symbol === opts.symbol) &&
    (opts.timeframe === undefined || row.timeframe === opts.timeframe);

  const markSeen = (row: Record<string, unknown>) => {
    const id = Number(row.id);
    seen.set(id, naturalKey(row));
    if (id > highest) highest = id;
    if (seen.size > 4 * overlap + 1000) {
      for (const x of seen.keys()) if (x < highest - 2 * overlap) seen.delete(x);
    }
  };

  /** The project's signals were replaced (a new database): forget the old ids, follow the new ones. */
  const reset = (why: string) => {
    stats.resets++;
    note(
      `the project's signals were replaced (${why}): a new database? following it from its first signal`,
    );
    seen.clear();
    printed.clear();
    reportedWithdrawn.clear();
    highest = 0;
  };

  /** A printed signal now superseded: reported once. */
  const withdrawnRow = (row: Record<string, unknown>, via: "live" | "catch-up") => {
    const id = Number(row.id);
    if (!printed.has(id) || reportedWithdrawn.has(id) || seen.get(id) !== naturalKey(row)) return;
    reportedWithdrawn.add(id);
    stats.withdrawn++;
    opts.onWithdrawn?.(withdrawalFromRow(row), via);
  };

  const emit = (row: Record<string, unknown>, via: SignalSource) => {
    const id = Number(row.id);
    if (!Number.isSafeInteger(id) || !matches(row)) return;
    if (row.superseded_at !== null && row.superseded_at !== undefined) {
      // Withdrawn: never printed as new; reported if it was printed before.
      if (via !== "last") withdrawnRow(row, via === "live" ? "live" : "catch-up");
      return;
    }
    const known = seen.get(id);
    if (known === naturalKey(row)) {
      stats.duplicates++;
      return;
    }
    if (known !== undefined) reset(`id ${id} now holds another signal`);
    markSeen(row);
    printed.add(id);
    if (via === "live") stats.live++;
    else if (via === "catch-up") stats.catchUp++;
    else stats.last++;
    opts.onSignal(signalFromRow(row), via);
  };

  /**
   * One Data API query with the filters, retried while the failure may pass (`retry`); without
   * `retry` (the first contact) an unreachable project is an error: wrong URL, or no stack running.
   */
  const query = async (
    build: (q: ReturnType<ReturnType<SupabaseClient["from"]>["select"]>) => PromiseLike<
      { data: unknown; error: { message?: string; code?: string } | null; status: number }
    >,
    retry = true,
  ): Promise<Record<string, unknown>[]> => {
    for (let attempt = 0;; attempt++) {
      let q = client.from("signals").select("*");
      if (opts.symbol !== undefined) q = q.eq("symbol", opts.symbol);
      if (opts.timeframe !== undefined) q = q.eq("timeframe", opts.timeframe);
      const { data, error, status } = await build(q);
      if (!error && Array.isArray(data)) return data as Record<string, unknown>[];
      if (isPermanent(status)) throw dataApiError(status, error, credential);
      const why = (error?.message ?? `HTTP ${status}`).replace(/^TypeError: /, "");
      if (!retry) throw new Error(`cannot reach the project's Data API: ${why}`);
      if (stopped) return [];
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      note(`signals query failed (${why}); retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  const start = async () => {
    const recent = await query(
      (q) =>
        q.is("superseded_at", null).order("id", { ascending: false }).limit(
          Math.max(overlap, opts.last ?? 0),
        ),
      false,
    );
    const newestFirst = recent.filter(matches);
    const shown = new Set(newestFirst.slice(0, opts.last ?? 0).map((r) => Number(r.id)));
    for (const r of newestFirst) if (!shown.has(Number(r.id))) markSeen(r);
    for (const r of newestFirst.slice(0, opts.last ?? 0).reverse()) emit(r, "last");
  };

  const catchUp = async () => {
    if (highest > 0) {
      // A newest id below the highest printed that is not a signal seen before: a new database.
      const [newest] = await query((q) => q.order("id", { ascending: false }).limit(1));
      const id = newest === undefined ? 0 : Number(newest.id);
      if (id < highest && (newest === undefined || seen.get(id) !== naturalKey(newest))) {
        reset(`the newest signal id is ${id}, below ${highest}, the highest printed`);
      }
    }
    let from = Math.max(0, highest - overlap);
    for (;;) {
      const resets = stats.resets;
      const rows = await query((q) =>
        q.gt("id", from).order("id", { ascending: true }).limit(pageSize)
      );
      for (const r of rows) emit(r, "catch-up");
      if (stats.resets !== resets) from = 0; // found replaced mid-way: the new ids from the start
      else if (rows.length < pageSize) return;
      else from = Number(rows[rows.length - 1].id);
    }
  };

  /**
   * While Realtime is disconnected, asks the Data API every `probeMs` whether the credentials still
   * read signals; a permanent refusal ends the watch (realtime-js would retry it silently forever).
   */
  const probeWhileDisconnected = () => {
    if (probe !== undefined || stopped || failed) return;
    const tick = async () => {
      if (stopped || failed || connected) {
        probe = undefined;
        return;
      }
      const { error, status } = await client.from("signals").select("id").limit(1);
      if (error && isPermanent(status)) {
        probe = undefined;
        fatal(dataApiError(status, error, credential));
        return;
      }
      probe = stopped || failed || connected ? undefined : setTimeout(tick, probeMs);
    };
    probe = setTimeout(tick, probeMs);
  };

  const subscribe = () => {
    // Server-side filter on one column (older Realtime versions take one condition); both client-side.
    const filter = opts.symbol !== undefined
      ? `symbol=eq.${opts.symbol}`
      : opts.timeframe !== undefined
      ? `timeframe=eq.${opts.timeframe}`
      : undefined;
    let warnedErrors = false;
    let lastSystemError: string | null = null;
    channel = client.channel(opts.channelName ?? "signals-watch")
      .on(
        "postgres_changes",
        { event: "INSERT", schema: "public", table: "signals", ...(filter ? { filter } : {}) },
        (payload) => {
          if (payload.errors && payload.errors.length > 0) {
            if (!warnedErrors) note(`Realtime reports: ${payload.errors.join("; ")}`);
            warnedErrors = true;
            return;
          }
          const row = payload.new as Record<string, unknown>;
          enqueue(() => emit(row, "live"));
        },
      )
      .on(
        "postgres_changes",
        { event: "UPDATE", schema: "public", table: "signals", ...(filter ? { filter } : {}) },
        (payload) => {
          if (payload.errors && payload.errors.length > 0) return; // reported with the INSERTs
          const row = payload.new as Record<string, unknown>;
          // Other updates (a trade reaching a target) change nothing printed.
          if (row?.superseded_at) enqueue(() => withdrawnRow(row, "live"));
        },
      )
      .on("system", {}, (p: { extension?: string; status?: string; message?: string }) => {
        if (p.status === "error" && p.extension === "postgres_changes") {
          fatal(new Error(`Realtime refused the subscription: ${p.message ?? "unknown reason"}`));
        } else if (p.status === "error") {
          lastSystemError = p.message ?? "error";
          note(`Realtime: ${lastSystemError}`);
        }
      })
      .subscribe((status, err) => {
        if (stopped) return;
        if (status === "SUBSCRIBED") {
          connected = true;
          stats.subscribed++;
          if (stats.subscribed > 1) note("Realtime: subscribed again; catching up");
          enqueue(async () => {
            await catchUp();
            readyResolve();
          });
        } else if (status === "CHANNEL_ERROR") {
          // A refused join carries the server's {reason}; a dropped socket its CloseEvent {code, reason}.
          const cause = err?.cause as { reason?: unknown; code?: unknown } | undefined;
          const reason = cause?.reason;
          if (typeof reason === "string" && typeof cause?.code !== "number") {
            fatal(new Error(`Realtime refused the subscription: ${reason}`));
          } else {
            connected = false;
            note(`Realtime: connection lost (${err?.message ?? "channel error"}); reconnecting`);
            probeWhileDisconnected();
          }
        } else if (status === "TIMED_OUT") {
          connected = false;
          note("Realtime: subscribing timed out; retrying");
          probeWhileDisconnected();
        } else if (status === "CLOSED") {
          // Only the server closes a channel we did not leave; realtime-js does not rejoin it.
          const why = lastSystemError ?? "the server closed the channel";
          fatal(
            new Error(
              `Realtime ended the subscription: ${why}${
                /expired/i.test(why) ? ` (pass a fresh ${credential})` : ""
              }`,
            ),
          );
        }
      });
  };

  enqueue(async () => {
    await start();
    subscribe();
  });

  return {
    ready,
    stats,
    stop: async () => {
      stopped = true;
      clearTimeout(probe);
      if (channel) await client.removeChannel(channel);
      await client.realtime.disconnect();
      await queue;
    },
  };
}
