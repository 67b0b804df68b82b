/**
 * Serves the Edge Function bundles the way Supabase does, on one machine: each bundle
 * (`supabase/functions/<name>/bundle.js`, from `deno task build`) runs in its own `deno run` process
 * with only network and environment permissions, and a gateway answers at
 * `http://127.0.0.1:<port>/functions/v1/<name>` (Supabase's local address with port 54321),
 * forwarding each request to its function unchanged. The gateway also mounts other local services by
 * path prefix (the REST subset at `/rest/v1/`, Realtime at `/realtime/v1/`: ./local_api.ts).
 */

/** A running function process. */
export interface FunctionProcess {
  name: string;
  /** Its own address (`http://127.0.0.1:<port>`). */
  url: string;
  /** ms from spawning the process to its first answered request (cold start). */
  coldStartMs: number;
  stop(): Promise<void>;
}

/** Environment passed to every function process (SUPABASE_DB_URL and friends). */
export type FunctionEnvVars = Record<string, string>;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts `bundle` as function `name` and waits until it answers (an OPTIONS request), at most
 * `timeoutMs`. Its log lines go to `onLog`. Throws when it exits or does not answer in time.
 */
export async function startFunctionProcess(
  name: string,
  bundle: string,
  env: FunctionEnvVars,
  onLog: (line: string) => void = () => {},
  timeoutMs = 30_000,
): Promise<FunctionProcess> {
  const port = freePort();
  const started = performance.now();
  const deno = [Deno.execPath(), "run", "--quiet", "--allow-net", "--allow-env", bundle];
  // It dies with this process, even with a kill -9 that leaves no chance to stop it.
  const cmd = await withParentDeathSignal(deno);
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: { ...env, PORT: String(port), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  pipeLines(child.stdout, onLog);
  pipeLines(child.stderr, onLog);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    await status;
  };
  for (;;) {
    if (exited) {
      throw new Error(`function ${name} exited during start (code ${(await status).code})`);
    }
    if (performance.now() - started > timeoutMs) {
      await stop();
      throw new Error(`function ${name} did not answer within ${timeoutMs} ms`);
    }
    try {
      const res = await fetch(url, { method: "OPTIONS", signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return { name, url, coldStartMs: performance.now() - started, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

let setpriv: Promise<boolean> | null = null;

/**
 * `cmd` prefixed with `setpriv --pdeathsig KILL --` (util-linux) where that exists: the kernel then
 * kills the process when the thread that started it ends (Linux PR_SET_PDEATHSIG, kept across
 * exec), which for Deno's spawn is this process's main thread, so kill -9 on the stack takes its
 * function processes with it. Elsewhere `cmd` unchanged.
 */
export async function withParentDeathSignal(cmd: string[]): Promise<string[]> {
  setpriv ??= new Deno.Command("setpriv", {
    args: ["--pdeathsig", "KILL", "--", "true"],
    stdout: "null",
    stderr: "null",
  }).output().then((o) => o.success, () => false);
  return await setpriv ? ["setpriv", "--pdeathsig", "KILL", "--", ...cmd] : cmd;
}

async function pipeLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) if (p.trim()) onLine(p);
    }
  } catch { /* process ended */ }
  if (rest.trim()) onLine(rest);
}

/**
 * A scripted network fault on one function's route, applied to every `every`-th request (tests):
 * `refuse` answers `status` without calling the function (a wake-up lost on the way: the function
 * never runs); `fail-after` calls it and answers `status` instead of its answer (the work is done, the
 * answer is lost); `slow` calls it only after `delayMs` (past pg_net's timeout).
 */
export interface GatewayFault {
  mode: "refuse" | "fail-after" | "slow";
  every: number;
  status?: number;
  delayMs?: number;
}

/** The gateway in front of the function processes. */
export interface FunctionsGateway {
  /** `http://127.0.0.1:<port>` (the project URL clients such as supabase-js are given). */
  url: string;
  /** `http://127.0.0.1:<port>/functions/v1` */
  functionsUrl: string;
  port: number;
  /** Faults by function name (tests); empty by default. */
  faults: Map<string, GatewayFault>;
  /** Requests per function name, how many met a fault, and how many per wake-up `reason`. */
  requests: Map<string, { total: number; faulted: number; reasons: Record<string, number> }>;
  /** Closes the routes ({@link GatewayRoute.close}), then the server. */
  stop(): Promise<void>;
}

/** Another service behind the gateway: requests whose path starts with `prefix` go to `handle`. */
export interface GatewayRoute {
  /** Path prefix, e.g. `/rest/v1/`. */
  prefix: string;
  /** Answers a request (it may upgrade it to a WebSocket). */
  handle(req: Request): Response | Promise<Response>;
  /** Ends long-lived connections (WebSockets) so the server can shut down. */
  close?(): void | Promise<void>;
}

/**
 * Serves `/functions/v1/<name>[/...]` on 127.0.0.1:`port` (0 = any free port), forwarding method,
 * headers and body to the named function and its answer back, and every path under a `routes`
 * prefix to that route (first match wins); anything else is 404 `{error}`, a route that throws 500.
 */
export function startGateway(
  functions: readonly FunctionProcess[],
  port: number,
  routes: readonly GatewayRoute[] = [],
): FunctionsGateway {
  const byName = new Map(functions.map((f) => [f.name, f]));
  const faults = new Map<string, GatewayFault>();
  const requests = new Map<
    string,
    { total: number; faulted: number; reasons: Record<string, number> }
  >();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const route = routes.find((r) => url.pathname.startsWith(r.prefix));
    if (route) {
      try {
        return await route.handle(req);
      } catch (e) {
        return Response.json({ error: `${route.prefix}: ${(e as Error).message}` }, {
          status: 500,
        });
      }
    }
    const m = /^\/functions\/v1\/([a-z0-9_-]+)(\/.*)?$/.exec(url.pathname);
    const fn = m ? byName.get(m[1]) : undefined;
    if (!m || !fn) {
      return Response.json({ error: `no function at ${url.pathname}` }, { status: 404 });
    }
    const count = requests.get(fn.name) ?? { total: 0, faulted: 0, reasons: {} };
    requests.set(fn.name, count);
    count.total++;
    // Bodies are small JSON wake-ups or Discord payloads: read once, counted by reason, forwarded as is.
    const body = req.method === "GET" || req.method === "HEAD"
      ? null
      : new Uint8Array(await req.arrayBuffer());
    const reason = wakeReason(body);
    if (reason) count.reasons[reason] = (count.reasons[reason] ?? 0) + 1;
    const fault = faults.get(fn.name);
    const hit = fault !== undefined && count.total % fault.every === 0;
    if (hit) count.faulted++;
    if (hit && fault.mode === "refuse") {
      return Response.json({ error: "fault injected: request refused" }, {
        status: fault.status ?? 503,
      });
    }
    if (hit && fault.mode === "slow") {
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 10_000));
    }
    try {
      const res = await fetch(`${fn.url}/${m[1]}${m[2] ?? ""}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body,
        redirect: "manual",
      });
      if (hit && fault.mode === "fail-after") {
        await res.body?.cancel();
        return Response.json({ error: "fault injected: answer lost" }, {
          status: fault.status ?? 500,
        });
      }
      return res;
    } catch (e) {
      return Response.json(
        { error: `function ${fn.name} is unreachable: ${(e as Error).message}` },
        {
          status: 502,
        },
      );
    }
  });
  const actual = server.addr.port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    functionsUrl: `http://127.0.0.1:${actual}/functions/v1`,
    faults,
    requests,
    stop: async () => {
      for (const r of routes) await r.close?.();
      await server.shutdown();
    },
  };
}

/** The `reason` of a JSON wake-up body, when it has one. */
function wakeReason(body: Uint8Array | null): string | null {
  if (!body || body.byteLength > 65_536 || body[0] !== 0x7b) return null;
  try {
    const r = (JSON.parse(new TextDecoder().decode(body)) as { reason?: unknown }).reason;
    return typeof r === "string" ? r : null;
  } catch {
    return null;
  }
}
