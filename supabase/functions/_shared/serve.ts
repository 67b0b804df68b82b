/**
 * Starts a function: reads and validates the environment once, builds the dependencies, and serves
 * `handler(req, deps)` with Deno.serve. On Supabase the port is the platform's; locally PORT sets it.
 * A bad environment is one log line and every request answers 500 with the reason (the process
 * keeps serving so the platform's health checks show the error).
 */

import { type Deps, depsFromEnv } from "./deps.ts";
import { loadFunctionEnv } from "./env.ts";
import { json } from "./http.ts";
import { createLogger, errorLine } from "./log.ts";

/** A function's request handler. */
export type Handler = (req: Request, deps: Deps) => Promise<Response>;

/** Serves `handler` as function `name` (see the module doc). */
export function serveFunction(name: string, handler: Handler): void {
  let serve: (req: Request) => Promise<Response>;
  let port: number | undefined;
  try {
    const env = loadFunctionEnv();
    port = env.PORT;
    const deps = depsFromEnv(env, name);
    // OPTIONS (a CORS preflight, or the local stack's readiness probe) never reaches the handler.
    serve = (req) =>
      req.method === "OPTIONS"
        ? Promise.resolve(new Response(null, { status: 204 }))
        : handler(req, deps);
  } catch (e) {
    const reason = errorLine(e);
    createLogger().error("function cannot start", { fn: name, error: reason });
    serve = () => Promise.resolve(json(500, { error: `${name}: ${reason}` }));
  }
  if (port === undefined) {
    Deno.serve(serve);
  } else {
    Deno.serve({
      port,
      hostname: "127.0.0.1",
      onListen: ({ port }) =>
        console.log(JSON.stringify({ level: "info", msg: "listening", fn: name, port })),
    }, serve);
  }
}
