/**
 * The fake's WebSocket side: combined streams at `/stream?streams=a/b/c` (plus `timeUnit=MICROSECOND`),
 * `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` control messages answered `{result, id}`, server
 * pings (Deno's `idleTimeout`: a client that does not answer with a pong is disconnected), and
 * Binance's connection rules: at most 1,024 streams and 5 incoming messages per second per
 * connection (a connection breaking either is closed), a `serverShutdown` event before a planned
 * disconnect. A scripted fault drops connections every N messages.
 */

import { serverShutdownMessage } from "./wire.ts";

/** Most streams one connection may hold (Binance). */
export const MAX_STREAMS = 1024;
/** Most messages a client may send per second on one connection (Binance). */
export const MAX_INCOMING_PER_SECOND = 5;

const STREAM_NAME = /^[a-z0-9]+@kline_(1s|1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d|3d|1w|1M)$/;

/** One client connection. */
export interface FakeConnection {
  readonly id: number;
  readonly socket: WebSocket;
  readonly streams: Set<string>;
  /** Opened with `timeUnit=MICROSECOND`. */
  readonly micro: boolean;
  /** Data messages sent on it. */
  sent: number;
  /** Receipt times (real ms) of the client's recent messages. */
  readonly received: number[];
  open: boolean;
}

/** WebSocket figures the tests read. */
export interface WsStats {
  /** Connections accepted in all. */
  connectionsOpened: number;
  /** Connections the fake dropped on purpose (`dropEvery`, `dropConnections`, `serverShutdown`). */
  connectionsDropped: number;
  /** Data messages sent (all connections). */
  messagesSent: number;
  /** Control messages received (SUBSCRIBE...). */
  controlMessages: number;
  /** Connections closed for sending more than 5 messages in a second. */
  rateViolations: number;
  /** Connections refused or closed for asking more than 1,024 streams. */
  streamLimitViolations: number;
  /** Largest number of streams any connection held. */
  maxStreamsOnAConnection: number;
}

/** Connections and their subscriptions. */
export class FakeWsHub {
  readonly stats: WsStats = {
    connectionsOpened: 0,
    connectionsDropped: 0,
    messagesSent: 0,
    controlMessages: 0,
    rateViolations: 0,
    streamLimitViolations: 0,
    maxStreamsOnAConnection: 0,
  };
  /** Seconds of silence after which the server pings (and closes if no pong follows). */
  pingSeconds: number;
  /** Answer upgrades with 451 (a host in a restricted location). */
  region451 = false;

  readonly #connections = new Set<FakeConnection>();
  readonly #byStream = new Map<string, Set<FakeConnection>>();
  readonly #onSubscribe: (c: FakeConnection) => void;
  readonly #virtualNow: () => number;
  readonly #faults: { readonly dropEvery: number };
  #nextId = 1;

  /**
   * @param faults read on every message: `dropEvery` closes each connection after every N data
   *   messages sent on it (0 = never)
   */
  constructor(
    pingSeconds: number,
    virtualNow: () => number,
    onSubscribe: (c: FakeConnection) => void,
    faults: { readonly dropEvery: number },
  ) {
    this.pingSeconds = pingSeconds;
    this.#faults = faults;
    this.#virtualNow = virtualNow;
    this.#onSubscribe = onSubscribe;
  }

  /** Open connections. */
  get connections(): readonly FakeConnection[] {
    return [...this.#connections].filter((c) => c.open);
  }

  /** True when at least one open connection is subscribed to `stream`. */
  hasSubscriber(stream: string): boolean {
    const set = this.#byStream.get(stream);
    return set !== undefined && set.size > 0;
  }

  /** Upgrades `/stream?streams=...` to a WebSocket; anything else is a 404. */
  upgrade(req: Request): Response {
    const url = new URL(req.url);
    if (url.pathname !== "/stream") return new Response("not found", { status: 404 });
    if (this.region451) return new Response("restricted location", { status: 451 });
    const names = (url.searchParams.get("streams") ?? "").split("/").filter((s) => s !== "");
    if (names.length > MAX_STREAMS) {
      this.stats.streamLimitViolations++;
      return new Response(`too many streams (${names.length} > ${MAX_STREAMS})`, { status: 400 });
    }
    const bad = names.find((n) => !STREAM_NAME.test(n));
    if (bad !== undefined) return new Response(`invalid stream name ${bad}`, { status: 400 });
    const unit = (url.searchParams.get("timeUnit") ?? "").toUpperCase();
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: this.pingSeconds });
    const conn: FakeConnection = {
      id: this.#nextId++,
      socket,
      streams: new Set(),
      micro: unit === "MICROSECOND",
      sent: 0,
      received: [],
      open: false,
    };
    socket.onopen = () => {
      conn.open = true;
      this.stats.connectionsOpened++;
      this.#connections.add(conn);
      this.#subscribe(conn, names);
    };
    socket.onmessage = (e) => this.#control(conn, e.data);
    socket.onclose = () => this.#forget(conn);
    socket.onerror = () => this.#forget(conn);
    return response;
  }

  /**
   * Sends a kline message to every connection subscribed to `stream` (the µs text to those that
   * asked for µs), applying `dropEvery`.
   */
  publish(stream: string, textMs: string, textUs: () => string): void {
    const set = this.#byStream.get(stream);
    if (!set) return;
    let us: string | null = null;
    for (const c of set) {
      if (!c.open) continue;
      if (c.micro) us ??= textUs();
      this.#send(c, c.micro ? us as string : textMs);
      const every = this.#faults.dropEvery;
      if (every > 0 && c.sent % every === 0) this.drop(c);
    }
  }

  /** Sends raw text to every open connection (malformed or unknown messages in tests). */
  broadcast(text: string): void {
    for (const c of this.connections) this.#send(c, text);
  }

  /** Sends `serverShutdown` to every open connection and closes them `graceMs` (real ms) later. */
  serverShutdown(graceMs: number): void {
    const conns = this.connections;
    for (const c of conns) this.#send(c, serverShutdownMessage(this.#virtualNow(), c.micro));
    setTimeout(() => {
      for (const c of conns) this.drop(c);
    }, graceMs);
  }

  /** Closes one connection from the server side. */
  drop(c: FakeConnection): void {
    if (!c.open) return;
    this.stats.connectionsDropped++;
    this.#forget(c);
    try {
      c.socket.close(1001, "going away");
    } catch { /* already closing */ }
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const c of [...this.#connections]) this.drop(c);
  }

  #send(c: FakeConnection, text: string): void {
    try {
      c.socket.send(text);
      c.sent++;
      this.stats.messagesSent++;
    } catch {
      this.#forget(c);
    }
  }

  #subscribe(c: FakeConnection, names: readonly string[]): boolean {
    const total = new Set([...c.streams, ...names]).size;
    if (total > MAX_STREAMS) {
      this.stats.streamLimitViolations++;
      this.drop(c);
      return false;
    }
    for (const n of names) {
      c.streams.add(n);
      let set = this.#byStream.get(n);
      if (!set) this.#byStream.set(n, set = new Set());
      set.add(c);
    }
    this.stats.maxStreamsOnAConnection = Math.max(
      this.stats.maxStreamsOnAConnection,
      c.streams.size,
    );
    if (names.length) this.#onSubscribe(c);
    return true;
  }

  #control(c: FakeConnection, data: unknown): void {
    const now = Date.now();
    c.received.push(now);
    while (c.received.length && c.received[0] <= now - 1000) c.received.shift();
    if (c.received.length > MAX_INCOMING_PER_SECOND) {
      this.stats.rateViolations++;
      this.drop(c);
      return;
    }
    this.stats.controlMessages++;
    let msg: { method?: unknown; params?: unknown; id?: unknown };
    try {
      msg = JSON.parse(String(data));
    } catch {
      this.#send(c, JSON.stringify({ error: { code: 3, msg: "Invalid JSON" }, id: null }));
      return;
    }
    const id = msg.id ?? null;
    const params = Array.isArray(msg.params) ? msg.params.map(String) : [];
    const bad = params.find((p) => !STREAM_NAME.test(p));
    switch (msg.method) {
      case "SUBSCRIBE":
        if (bad !== undefined) {
          this.#send(c, JSON.stringify({ error: { code: 2, msg: `Invalid request: ${bad}` }, id }));
        } else if (this.#subscribe(c, params)) this.#send(c, JSON.stringify({ result: null, id }));
        return;
      case "UNSUBSCRIBE":
        for (const p of params) {
          c.streams.delete(p);
          this.#byStream.get(p)?.delete(c);
        }
        this.#send(c, JSON.stringify({ result: null, id }));
        return;
      case "LIST_SUBSCRIPTIONS":
        this.#send(c, JSON.stringify({ result: [...c.streams], id }));
        return;
      default:
        this.#send(
          c,
          JSON.stringify({ error: { code: 2, msg: "Invalid request: unknown method" }, id }),
        );
    }
  }

  #forget(c: FakeConnection): void {
    c.open = false;
    this.#connections.delete(c);
    for (const s of c.streams) this.#byStream.get(s)?.delete(c);
  }
}
