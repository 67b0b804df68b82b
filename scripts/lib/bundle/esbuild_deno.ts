/**
 * esbuild (the version pinned in deno.json) with Deno's npm packages: {@link bundleForEdge} makes one
 * fully self-contained ES module (npm packages and `with { type: "bytes" }` imports inlined; the
 * chart's tests and benchmark use it), {@link inlineBytesImports} inlines only the bytes imports for
 * a bundler that keeps npm packages as pinned imports (`deno task build`).
 */

import * as esbuild from "esbuild";

const root = new URL("../../../", import.meta.url).pathname;

/** Where Deno keeps npm packages (`deno info --json` → npmCache). */
async function npmCacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  if (typeof info.npmCache !== "string") throw new Error("deno info --json gave no npmCache");
  return info.npmCache;
}

/** `npm:name@version/sub/path` → name, version, subpath ("" for the package root). */
function parseNpm(spec: string): { name: string; version: string; sub: string } {
  const m = spec.slice(4).match(/^(@[^/]+\/[^@/]+|[^@/]+)@([^/]+)(\/.*)?$/);
  if (!m) throw new Error(`cannot bundle ${spec}: expected npm:name@exact.version[/path]`);
  return { name: m[1], version: m[2], sub: m[3] ? m[3].slice(1) : "" };
}

/** The file a package's `exports`/`module`/`main` names for `sub` (ESM "import" condition first). */
function packageEntry(dir: string, sub: string): string {
  const pkg = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`));
  const key = sub ? `./${sub}` : ".";
  const exp = typeof pkg.exports === "object" && pkg.exports !== null
    ? pkg.exports[key]
    : undefined;
  const pick = (e: unknown): string | undefined =>
    typeof e === "string"
      ? e
      : e && typeof e === "object"
      ? pick((e as Record<string, unknown>).import ?? (e as Record<string, unknown>).default)
      : undefined;
  const target = pick(exp) ?? (sub ? sub : pkg.module ?? pkg.main ?? "index.js");
  return `${dir}/${target.replace(/^\.\//, "")}`;
}

function denoImportMap(): Record<string, string> {
  return JSON.parse(Deno.readTextFileSync(`${root}deno.json`)).imports ?? {};
}

/**
 * esbuild plugin: import-map and `npm:` specifiers → files in Deno's npm cache, so esbuild bundles
 * them. With `bytesOnly`, only imports carrying `with { type: "bytes" }` (WebAssembly, fonts) are
 * resolved, and esbuild inlines those files as Uint8Array; every other import is left to the next
 * plugin (e.g. one that keeps npm packages as pinned external imports).
 */
export function npmFilesPlugin(
  npmCache: string,
  opts: { bytesOnly?: boolean } = {},
): esbuild.Plugin {
  const map = denoImportMap();
  const keys = Object.keys(map).sort((a, b) => b.length - a.length);
  return {
    name: opts.bytesOnly ? "deno-npm-bytes" : "deno-npm",
    setup(build) {
      if (!opts.bytesOnly) {
        build.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, external: true }));
      }
      build.onResolve({ filter: /^(npm:|[^./])/ }, (a) => {
        if (opts.bytesOnly && a.with?.type !== "bytes") return undefined;
        let spec = a.path;
        if (!spec.startsWith("npm:")) {
          const key = keys.find((k) => spec === k || spec.startsWith(`${k}/`));
          if (!key) return undefined;
          spec = map[key] + spec.slice(key.length);
        }
        if (!spec.startsWith("npm:")) return undefined;
        const { name, version, sub } = parseNpm(spec);
        const dir = `${npmCache}/registry.npmjs.org/${name}/${version}`;
        return { path: packageEntry(dir, sub) };
      });
    },
  };
}

/**
 * The plugin an Edge Function bundler that keeps npm packages external needs for the chart renderer:
 * `with { type: "bytes" }` imports from npm packages (resvg's WebAssembly, the font) inlined into
 * the bundle, since the Edge Runtime cannot import raw bytes. Register it before the externals plugin.
 */
export async function inlineBytesImports(): Promise<esbuild.Plugin> {
  return npmFilesPlugin(await npmCacheDir(), { bytesOnly: true });
}

/**
 * Bundles `entry` (path from the repository root) into one ES module and returns its bytes.
 * Throws esbuild's error when an import cannot be resolved.
 */
export async function bundleForEdge(entry: string): Promise<Uint8Array> {
  try {
    const result = await esbuild.build({
      entryPoints: [`${root}${entry}`],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      // es2022: inlined bytes decode with esbuild's helper where Uint8Array.fromBase64 is missing.
      target: "es2022",
      minify: true,
      logLevel: "silent",
      plugins: [npmFilesPlugin(await npmCacheDir())],
    });
    return result.outputFiles[0].contents;
  } finally {
    await esbuild.stop();
  }
}
