/**
 * A TCP proxy for tests that need a network fault between a client and a real server (e.g. the
 * relay and the test database): `cut()` drops every connection and refuses new ones until
 * `restore()`.
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

/** Proxies 127.0.0.1:<port> to `targetHost:targetPort`. */
export function startTcpProxy(targetHost: string, targetPort: number): TcpProxy {
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
  const accepting = (async () => {
    for await (const client of listener) {
      if (refusing) {
        client.close();
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
