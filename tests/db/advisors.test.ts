import assert from "node:assert/strict";
import { type AdvisorExclusion, classifyFindings } from "../../scripts/db/advisors.ts";

const EXCLUSIONS: AdvisorExclusion[] = [
  { lint: "rls_enabled_no_policy", objects: ["public.candles", "public.gone"], why: "server-only" },
  { lint: "unused_index", why: "fresh database" },
];

function finding(name: string, level: string, schema: string, object: string) {
  return {
    name,
    title: name,
    level,
    detail: `${schema}.${object}`,
    metadata: { schema, name: object },
  };
}

Deno.test("advisor findings: intended ones are excluded by lint and object, any other ERROR or WARN fails", () => {
  const v = classifyFindings({
    results: [
      finding("rls_enabled_no_policy", "INFO", "public", "candles"),
      finding("rls_enabled_no_policy", "INFO", "public", "new_table"),
      finding("unused_index", "INFO", "public", "signals"),
      finding("function_search_path_mutable", "WARN", "private", "f"),
      finding("rls_disabled_in_public", "ERROR", "public", "candles"),
    ],
  }, EXCLUSIONS);
  assert.deepEqual(v.excluded.map((e) => `${e.finding.name} ${e.finding.detail} (${e.why})`), [
    "rls_enabled_no_policy public.candles (server-only)",
    "unused_index public.signals (fresh database)",
  ]);
  assert.deepEqual(
    v.info.map((f) => f.detail),
    ["public.new_table"],
    "an unlisted INFO is shown, not failing",
  );
  assert.deepEqual(v.failing.map((f) => `${f.level} ${f.name}`), [
    "WARN function_search_path_mutable",
    "ERROR rls_disabled_in_public",
  ], "an exclusion for one lint never covers another lint on the same table");
  assert.deepEqual(
    v.stale,
    ["rls_enabled_no_policy public.gone"],
    "an exclusion that matches nothing is stale",
  );
});

Deno.test("advisor output that is not the CLI's JSON shape is refused", () => {
  assert.throws(() => classifyFindings([]), TypeError);
  assert.throws(() => classifyFindings({ results: [{ name: "x", level: "LOUD" }] }), TypeError);
  assert.deepEqual(classifyFindings({ results: [] }, EXCLUSIONS).failing, []);
});
