/**
 * One combined-stream connection of the relay ("shard", ≤ 1,024 streams): connects, subscribes,
 * reconnects with {@link Backoff} after a drop, renews before Binance's 24 h cut or when told (a
 * `serverShutdown` event) by opening the new connection BEFORE closing the old one, and closes a
 * connection that has gone silent. Pings are answered by the WebSocket implementation (Deno
 * answers every ping frame with a pong carrying its payload, as Binance requires).
 *
 * Streams go in the URL (`/stream?streams=a/b/c`) up to `maxUrlStreams`; the rest are added with
 * `SUBSCRIBE` messages, paced by {@link MessageLimiter} (≤ 5 messages/s) and each acknowledged
 * before the shard counts as ready, so a backfill started on "ready" covers everything before the
 * subscriptions took effect.
 *
 * Facts (Binance spot docs, "WebSocket Streams"): combined streams at `/stream?streams=`; ≤ 1,024
 * streams per connection; a connection lasts up to 24 h; ping every 20 s, pong within 1 min;
 * ≤ 5 incoming messages/s; `timeUnit=MICROSECOND` for µs times.
 */

import type { LogEntry } from "../lib/cli/log.ts";
import { Backoff, type BackoffOptions, MessageLimiter } from "./pacing.ts";

/** What a shard reports to the relay. */
export interface ShardEvents {
  /** Every text message (kline events, control replies, anything else). */
  onMessage(text: string, shard: StreamShard): void;
  /**
   * The shard is subscribed to all its streams. `gap` is true on the first connection and after a
   * drop (messages may have been missed: backfill), false after a renewal (no gap: the old
   * connection stayed open until the new one was ready).
   */
  onReady(shard: StreamShard, gap: boolean): void;
  /** The shard lost its connection (it reconnects by itself). */
  onDown(shard: StreamShard, reason: string): void;
  log(entry: LogEntry): void;
}

/** Settings of a shard. */
export interface ShardOptions {
  /** Base URL, e.g. `wss://data-stream.binance.vision` (the shard adds `/stream?...`). */
  wsUrl: string;
  /** Ask for µs times (`timeUnit=MICROSECOND`). */
  microseconds: boolean;
  /** Streams put in the URL; the rest are SUBSCRIBEd (default 200). */
  maxUrlStreams: number;
  /** Streams per SUBSCRIBE message (default 200). */
  subscribeChunk: number;
  /** Renew a connection this long after it became ready (ms, default 23 h). */
  renewAfterMs: number;
  /** Close and reconnect after this long without any message (ms, default 5 min; 0 = never). */
  silenceMs: number;
  /** Wait this long for a SUBSCRIBE acknowledgement (ms, default 10 s). */
  ackTimeoutMs: number;
  backoff: BackoffOptions;
}

/** Shard states. */
export type ShardState = "connecting" | "ready" | "down" | "stopped";

interface Conn {
  ws: WebSocket;
  purpose: "connect" | "renew";
  openedAt: number;
  readyAt: number;
  lastMessageAt: number;
  limiter: MessageLimiter;
  acks: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
  closed: Promise<void>;
  ended: boolean;
}

/** One connection's worth of streams; see the module doc. */
export class StreamShard {
  readonly id: number;
  readonly streams: readonly string[];
  /** Times the connection dropped and was opened again (counted when the new one is ready). */
  reconnects = 0;
  /** Connections renewed without a gap (age or serverShutdown). */
  renewals = 0;

  readonly #opts: ShardOptions;
  readonly #events: ShardEvents;
  readonly #backoff: Backoff;
  #state: ShardState = "connecting";
  #current: Conn | null = null;
  #renewing: Conn | null = null;
  #nextAckId = 1;
  #everReady = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #renewTimer: ReturnType<typeof setTimeout> | undefined;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  readonly #all = new Set<Conn>();

  constructor(id: number, streams: readonly string[], opts: ShardOptions, events: ShardEvents) {
    if (streams.length === 0 || streams.length > 1024) {
      throw new RangeError(`a shard holds 1..1024 streams, got ${streams.length}`);
    }
    this.id = id;
    this.streams = streams;
    this.#opts = opts;
    this.#events = events;
    this.#backoff = new Backoff(opts.backoff);
  }

  /** Current state. */
  get state(): ShardState {
    return this.#state;
  }

  /** Opens the first connection. */
  start(): void {
    if (this.#opts.silenceMs > 0) {
      this.#watchdog = setInterval(
        () => this.#checkSilence(),
        Math.max(50, this.#opts.silenceMs / 4),
      );
    }
    this.#open("connect");
  }

  /** Opens a new connection and closes the current one once the new one is ready (no gap). */
  renew(reason: string): void {
    if (this.#state === "stopped" || this.#renewing !== null) return;
    if (this.#state !== "ready") return; // a (re)connect is already under way
    this.#events.log({ level: "info", msg: "renewing connection", shard: this.id, reason });
    this.#open("renew");
  }

  /** Routes a control reply (`{result|error, id}`) to the SUBSCRIBE waiting for it. */
  ack(id: unknown, error: string | null): void {
    for (const c of this.#all) {
      const waiter = typeof id === "number" ? c.acks.get(id) : undefined;
      if (!waiter) continue;
      c.acks.delete(id as number);
      if (error === null) waiter.resolve();
      else waiter.reject(new Error(`SUBSCRIBE refused: ${error}`));
    }
  }

  /** Closes every connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.#state = "stopped";
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#renewTimer);
    clearInterval(this.#watchdog);
    const closing = [...this.#all].map((c) => {
      this.#end(c, 1000, "relay stopping");
      return c.closed;
    });
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 2000))]);
  }

  #url(): string {
    const inUrl = this.streams.slice(0, Math.max(1, this.#opts.maxUrlStreams));
    const unit = this.#opts.microseconds ? "&timeUnit=MICROSECOND" : "";
    return `${this.#opts.wsUrl.replace(/\/+$/, "")}/stream?streams=${inUrl.join("/")}${unit}`;
  }

  #open(purpose: "connect" | "renew"): void {
    if (this.#state === "stopped") return;
    if (purpose === "connect") this.#state = "connecting";
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.#url());
    } catch (e) {
      this.#events.log({
        level: "error",
        msg: "bad WebSocket URL",
        shard: this.id,
        error: String(e),
      });
      this.#scheduleReconnect(0, String(e));
      return;
    }
    const closed = Promise.withResolvers<void>();
    const now = performance.now();
    const conn: Conn = {
      ws,
      purpose,
      openedAt: now,
      readyAt: 0,
      lastMessageAt: now,
      limiter: new MessageLimiter(5),
      acks: new Map(),
      closed: closed.promise,
      ended: false,
    };
    this.#all.add(conn);
    if (purpose === "renew") this.#renewing = conn;
    else this.#current = conn;
    let failure = "";
    ws.onopen = () => {
      conn.lastMessageAt = performance.now();
      this.#subscribeRest(conn).then(
        () => this.#onReady(conn),
        (e) => {
          this.#events.log({
            level: "warn",
            msg: "subscribing failed",
            shard: this.id,
            error: String(e),
          });
          this.#end(conn, 1000, "subscribe failed");
        },
      );
    };
    ws.onmessage = (e) => {
      conn.lastMessageAt = performance.now();
      if (typeof e.data === "string") this.#events.onMessage(e.data, this);
    };
    ws.onerror = (e) => {
      failure = (e as ErrorEvent).message ?? "error";
    };
    ws.onclose = (e) => {
      this.#all.delete(conn);
      for (const w of conn.acks.values()) w.reject(new Error("connection closed"));
      conn.acks.clear();
      closed.resolve();
      this.#onClosed(conn, failure || `closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`);
    };
  }

  async #subscribeRest(conn: Conn): Promise<void> {
    const rest = this.streams.slice(Math.max(1, this.#opts.maxUrlStreams));
    for (let i = 0; i < rest.length; i += this.#opts.subscribeChunk) {
      const params = rest.slice(i, i + this.#opts.subscribeChunk);
      const id = this.#nextAckId++;
      await conn.limiter.acquire();
      if (conn.ended) throw new Error("connection closed");
      const acked = new Promise<void>((resolve, reject) => {
        conn.acks.set(id, { resolve, reject });
        setTimeout(() => {
          if (conn.acks.delete(id)) reject(new Error(`no answer to SUBSCRIBE ${id}`));
        }, this.#opts.ackTimeoutMs);
      });
      conn.ws.send(JSON.stringify({ method: "SUBSCRIBE", params, id }));
      await acked;
    }
  }

  #onReady(conn: Conn): void {
    if (conn.ended || this.#state === "stopped") return;
    conn.readyAt = performance.now();
    if (conn.purpose === "renew") {
      const old = this.#current;
      this.#current = conn;
      this.#renewing = null;
      conn.purpose = "connect";
      this.renewals++;
      if (old !== null) this.#end(old, 1000, "renewed");
      const gap = this.#state !== "ready"; // the old one died while the new one was opening
      this.#state = "ready";
      this.#armRenewal();
      this.#events.log({
        level: "info",
        msg: "connection renewed",
        shard: this.id,
        streams: this.streams.length,
      });
      if (gap) this.#events.onReady(this, true);
      return;
    }
    this.#state = "ready";
    if (this.#everReady) this.reconnects++;
    this.#everReady = true;
    this.#armRenewal();
    this.#events.log({
      level: "info",
      msg: "connected",
      shard: this.id,
      streams: this.streams.length,
    });
    this.#events.onReady(this, true);
  }

  #armRenewal(): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => this.renew("age"), this.#opts.renewAfterMs);
  }

  #onClosed(conn: Conn, why: string): void {
    if (this.#state === "stopped") return;
    if (conn === this.#renewing) {
      // The replacement failed; the current connection carries on. Try again later.
      this.#renewing = null;
      this.#events.log({ level: "warn", msg: "renewal failed", shard: this.id, error: why });
      if (this.#state === "ready") {
        clearTimeout(this.#renewTimer);
        this.#renewTimer = setTimeout(() => this.renew("retry"), this.#backoff.next(0));
      }
      return;
    }
    if (conn !== this.#current) return; // an old connection closed after a renewal
    this.#current = null;
    const upFor = conn.readyAt > 0 ? performance.now() - conn.readyAt : 0;
    const wasReady = this.#state === "ready";
    this.#state = "down";
    clearTimeout(this.#renewTimer);
    if (wasReady) this.#events.onDown(this, why);
    if (this.#renewing !== null) {
      // A renewal is opening: it becomes the connection (and reports the gap when ready).
      return;
    }
    const delay = this.#backoff.next(upFor);
    this.#scheduleReconnect(delay, why);
  }

  #scheduleReconnect(delay: number, why: string): void {
    this.#events.log({
      level: /451/.test(why) ? "error" : "warn",
      msg: /451/.test(why)
        ? "Binance refused the stream connection from this host's location (HTTP 451); reconnecting later"
        : "connection lost; reconnecting",
      shard: this.id,
      error: why,
      delayMs: delay,
    });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => this.#open("connect"), delay);
  }

  #checkSilence(): void {
    const c = this.#current;
    if (!c || this.#state !== "ready") return;
    const quiet = performance.now() - c.lastMessageAt;
    if (quiet > this.#opts.silenceMs) {
      this.#events.log({
        level: "warn",
        msg: "no message for too long; reconnecting",
        shard: this.id,
        quietMs: Math.round(quiet),
      });
      this.#end(c, 4000, "silent");
    }
  }

  #end(c: Conn, code: number, reason: string): void {
    if (c.ended) return;
    c.ended = true;
    try {
      c.ws.close(code, reason);
    } catch { /* already closed */ }
  }
}
