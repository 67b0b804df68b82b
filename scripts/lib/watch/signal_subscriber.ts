/**
 * A Realtime subscriber to stored signals that loses none across reconnects: the core of
 * `deno task watch`, on `@supabase/supabase-js` (a hosted project or the local stack alike).
 *
 * Supabase Realtime does not replay changes missed while a client was disconnected, so:
 * 1. before subscribing, read the most recent signal ids through the Data API (they count as seen;
 *    the newest `last` of them are printed);
 * 2. subscribe to INSERTs on `public.signals` (`postgres_changes`, filtered by symbol, or else by
 *    timeframe, on the server; both on the client);
 * 3. on every SUBSCRIBED (the first one and each rejoin after a reconnect), query the signals with
 *    `id > highest printed − overlap` and print those not seen yet, then the live events that arrived
 *    meanwhile. Ids are printed at most once; the overlap re-reads the last ids because identity values
 *    are allocated at insert but become visible at commit, which need not be in id order.
 *
 * Every step runs in one queue, so a catch-up and the live events around it never interleave.
 */

import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { signalFromRow, type SignalRecord } from "../report/signal_preview.ts";

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
  /** One-line notes for people: reconnecting, resubscribed, warnings. */
  onNote?(line: string): void;
  /** An error that ends the watch (the key cannot read signals, the subscription is refused, …). */
  onFatal(e: Error): void;
  /** Channel name (default `signals-watch`). */
  channelName?: string;
}

/** A running subscriber. */
export interface SignalSubscriber {
  /** Settles after the first SUBSCRIBED and its catch-up (rejects on a fatal error first). */
  ready: Promise<void>;
  stats: { live: number; catchUp: number; last: number; subscribed: number; duplicates: number };
  /** Leaves the channel and closes the Realtime connection. */
  stop(): Promise<void>;
}

/** Statuses of a Data API answer that retrying cannot fix (bad key, no rights, bad request). */
function isPermanent(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** The Data API's error as one line, with a hint for the usual cause. */
function dataApiError(status: number, error: { message?: string; code?: string } | null): Error {
  const msg = error?.message ?? `HTTP ${status}`;
  if (status === 401 || status === 403 || error?.code === "42501") {
    return new Error(
      `this key cannot read signals (${msg}): pass a signed-in user's token, or open signals to anon (deno task db:configure --anon-signals on)`,
    );
  }
  return new Error(`the Data API refused the signals query (HTTP ${status}): ${msg}`);
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

/** Subscribes (see the module doc) and returns at once; progress arrives through the callbacks. */
export function subscribeSignals(opts: SignalSubscriberOptions): SignalSubscriber {
  const { client } = opts;
  const overlap = opts.overlap ?? 200;
  const pageSize = opts.pageSize ?? 500;
  const note = opts.onNote ?? (() => {});
  const stats = { live: 0, catchUp: 0, last: 0, subscribed: 0, duplicates: 0 };
  const seen = new Set<number>();
  let highest = 0;
  let stopped = false;
  let failed = false;
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

  const markSeen = (id: number) => {
    seen.add(id);
    if (id > highest) highest = id;
    if (seen.size > 4 * overlap + 1000) {
      for (const x of seen) if (x < highest - 2 * overlap) seen.delete(x);
    }
  };

  const emit = (row: Record<string, unknown>, via: SignalSource) => {
    const id = Number(row.id);
    if (!Number.isSafeInteger(id) || !matches(row)) return;
    if (seen.has(id)) {
      stats.duplicates++;
      return;
    }
    markSeen(id);
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
      if (isPermanent(status)) throw dataApiError(status, error);
      if (!retry) {
        throw new Error(
          `cannot reach the project's Data API: ${error?.message ?? `HTTP ${status}`}`,
        );
      }
      if (stopped) return [];
      const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      note(`signals query failed (${error?.message ?? `HTTP ${status}`}); retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  const start = async () => {
    const recent = await query(
      (q) => q.order("id", { ascending: false }).limit(Math.max(overlap, opts.last ?? 0)),
      false,
    );
    const newestFirst = recent.filter(matches);
    const shown = new Set(newestFirst.slice(0, opts.last ?? 0).map((r) => Number(r.id)));
    for (const r of newestFirst) if (!shown.has(Number(r.id))) markSeen(Number(r.id));
    for (const r of newestFirst.slice(0, opts.last ?? 0).reverse()) emit(r, "last");
  };

  const catchUp = async () => {
    let from = Math.max(0, highest - overlap);
    for (;;) {
      const rows = await query((q) =>
        q.gt("id", from).order("id", { ascending: true }).limit(pageSize)
      );
      for (const r of rows) emit(r, "catch-up");
      if (rows.length < pageSize) return;
      from = Number(rows[rows.length - 1].id);
    }
  };

  const subscribe = () => {
    // Server-side filter on one column (older Realtime versions take one condition); both client-side.
    const filter = opts.symbol !== undefined
      ? `symbol=eq.${opts.symbol}`
      : opts.timeframe !== undefined
      ? `timeframe=eq.${opts.timeframe}`
      : undefined;
    let warnedErrors = false;
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
      .on("system", {}, (p: { extension?: string; status?: string; message?: string }) => {
        if (p.status === "error" && p.extension === "postgres_changes") {
          fatal(new Error(`Realtime refused the subscription: ${p.message ?? "unknown reason"}`));
        } else if (p.status === "error") {
          note(`Realtime: ${p.message ?? "error"}`);
        }
      })
      .subscribe((status, err) => {
        if (stopped) return;
        if (status === "SUBSCRIBED") {
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
            note(`Realtime: connection lost (${err?.message ?? "channel error"}); reconnecting`);
          }
        } else if (status === "TIMED_OUT") {
          note("Realtime: subscribing timed out; retrying");
        } else if (status === "CLOSED") {
          note("Realtime: channel closed");
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
      if (channel) await client.removeChannel(channel);
      await client.realtime.disconnect();
      await queue;
    },
  };
}
