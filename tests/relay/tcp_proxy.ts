/**
 * A TCP proxy for tests that need a network fault between a client and a real server (e.g. the
 * relay and the test database): `cut()` drops every connection and refuses new ones until
 * `restore()`.
 *
 * How it refuses matters: a connection accepted and closed at once looks to postgres.js like a
 * server that hung up before its greeting, and postgres.js then retries the connection silently
 * until the proxy is restored, so a query sent after the cut simply waits (the client notices
 * nothing unless a query was in flight at the cut). A database that is really going away answers
 * each new connection with an error instead; pass `refusal` (e.g. {@link postgresShuttingDown}) to
 * send those bytes to every refused connection before closing it.
 */

/** A running proxy. */
export interface TcpProxy {
  /** The port to connect to (127.0.0.1). */
  port: number;
  /** Closes every proxied connection and refuses new ones. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * What Postgres sends a client that connects while the server shuts down: an ErrorResponse
 * (severity FATAL, SQLSTATE 57P03 cannot_connect_now, "the database system is shutting down"), in
 * the frontend/backend protocol's message format (PostgreSQL docs, "Message Formats").
 */
export function postgresShuttingDown(): Uint8Array {
  const fields = [
    ["S", "FATAL"],
    ["V", "FATAL"],
    ["C", "57P03"],
    ["M", "the database system is shutting down"],
  ].map(([type, text]) => `${type}${text}\0`).join("") + "\0";
  const body = new TextEncoder().encode(fields);
  const out = new Uint8Array(5 + body.length);
  out[0] = "E".charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

/**
 * Proxies 127.0.0.1:<port> to `targetHost:targetPort`. While cut, a new connection gets
 * `refusal` (after the client's first bytes, its startup message) and is closed.
 */
export function startTcpProxy(
  targetHost: string,
  targetPort: number,
  refusal?: Uint8Array,
): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let refusing = false;
  const pipes: Promise<void>[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable);
    } catch { /* cut */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
      open.delete(c);
    }
  };
  const refuse = async (client: Deno.Conn, bytes: Uint8Array) => {
    open.add(client); // close() ends a refusal still waiting for the client
    try {
      await client.read(new Uint8Array(1024)); // the startup message
      await client.write(bytes);
    } catch { /* the client went away */ }
    try {
      client.close();
    } catch { /* closed */ }
    open.delete(client);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      if (refusing) {
        if (refusal) pipes.push(refuse(client, refusal));
        else client.close();
        continue;
      }
      let server: Deno.Conn;
      try {
        server = await Deno.connect({ hostname: targetHost, port: targetPort });
      } catch {
        client.close();
        continue;
      }
      open.add(client);
      open.add(server);
      pipes.push(pipe(client, server), pipe(server, client));
    }
  })().catch(() => {});
  const dropAll = () => {
    for (const c of open) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    open.clear();
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cut() {
      refusing = true;
      dropAll();
    },
    restore() {
      refusing = false;
    },
    async close() {
      listener.close();
      dropAll();
      await accepting;
      await Promise.allSettled(pipes);
    },
  };
}
