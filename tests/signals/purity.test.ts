/** The analyzer library in shared/ is pure: no I/O, no platform APIs, no imports from outside it. */

import { ok as assert } from "node:assert/strict";

const root = new URL("../../shared/", import.meta.url);

function* tsFiles(dir: URL): Generator<URL> {
  for (const e of Deno.readDirSync(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* tsFiles(u);
    else if (e.name.endsWith(".ts")) yield u;
  }
}

const FORBIDDEN: [RegExp, string][] = [
  [/\bDeno\./, "Deno API"],
  [/\bfetch\s*\(/, "network"],
  [/from\s+["']node:/, "node: module"],
  [/\bprocess\.env\b/, "environment"],
  [/\bDate\.now\s*\(|new Date\(\)/, "wall clock (makes results depend on when they run)"],
  [/\bMath\.random\s*\(/, "randomness"],
];

Deno.test("shared/ uses no I/O, clock, randomness or platform API and imports only zod from outside", () => {
  const problems: string[] = [];
  let files = 0;
  for (const f of tsFiles(root)) {
    files++;
    const text = Deno.readTextFileSync(f);
    const name = f.pathname.slice(root.pathname.length);
    for (const [re, what] of FORBIDDEN) if (re.test(text)) problems.push(`${name}: ${what}`);
    for (const m of text.matchAll(/(?:import|export)[^"';]*from\s+["']([^"']+)["']/g)) {
      const spec = m[1];
      if (spec === "zod") continue;
      if (!spec.startsWith(".")) {
        problems.push(`${name}: imports ${spec}`);
        continue;
      }
      const target = new URL(spec, f);
      if (!target.pathname.startsWith(root.pathname)) problems.push(`${name}: imports ${spec}`);
    }
  }
  assert(files > 20, `only ${files} files found`);
  assert(problems.length === 0, problems.join("\n"));
});
