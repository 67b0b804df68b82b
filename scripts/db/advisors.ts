/**
 * Supabase's database advisors (splinter's lints, as `supabase db advisors` runs them) over a
 * migrated database: the findings, the project's documented exclusions for intended findings, and
 * the verdict CI acts on (any ERROR or WARN left after the exclusions fails).
 *
 * What runs where (checked with supabase@2.117.0 against plain Postgres 15 with the local prelude):
 * the CLI embeds 23 of splinter's SQL lints and runs them all on any Postgres. Those about Supabase's
 * own objects find nothing here because the objects do not exist (auth_users_exposed,
 * fkey_to_auth_unique: the auth schema; insecure_queue_exposed_in_api: pgmq). Splinter lints newer
 * than the CLI's copy (anon/authenticated_security_definer_function_executable, pg_graphql exposure,
 * storage buckets) and the Auth configuration advisors (anonymous sign-ins, leaked passwords, OTP
 * expiry: read from the platform API, not SQL) do not run here; the privilege tests in
 * supabase/tests/06_security.sql and tests/db/closed_while_migrating.test.ts cover what the first
 * group checks, and the README says what to switch off in Auth.
 */

/** One advisor finding, as `supabase db advisors --output-format json` prints it. */
export interface AdvisorFinding {
  /** Lint name, e.g. `rls_disabled_in_public`. */
  name: string;
  title: string;
  level: "ERROR" | "WARN" | "INFO";
  detail: string;
  metadata?: { schema?: string; name?: string; type?: string };
  cacheKey?: string;
}

/** A finding the project intends: the lint, the objects (schema.name; all when absent) and why. */
export interface AdvisorExclusion {
  lint: string;
  objects?: readonly string[];
  why: string;
}

/** The intended findings (README "Database advisors in CI" lists the same). */
export const ADVISOR_EXCLUSIONS: readonly AdvisorExclusion[] = [
  {
    lint: "rls_enabled_no_policy",
    objects: [
      "public.candles",
      "public.analyzer_state",
      "public.user_subscriptions",
      "public.backtests",
      "public.ingest_gaps",
      "public.retention_policy",
      "public.discord_outbox",
      "private.config",
      "private.jobs",
      "private.series_epochs",
      "private.discord_state",
    ],
    why:
      "server-only tables: RLS on and no policy denies anon and authenticated; service_role bypasses RLS",
  },
  {
    lint: "unused_index",
    why: "a freshly migrated database has no index usage statistics yet",
  },
];

/** The verdict on a set of findings. */
export interface AdvisorVerdict {
  /** ERROR and WARN findings no exclusion covers: CI fails on any. */
  failing: AdvisorFinding[];
  /** Findings an exclusion covers, with its reason. */
  excluded: { finding: AdvisorFinding; why: string }[];
  /** INFO findings no exclusion covers (printed, not failing). */
  info: AdvisorFinding[];
  /** Exclusion objects that matched no finding (the list has gone stale: fails too). */
  stale: string[];
}

/** The `schema.name` a finding is about ("" when the lint names no object). */
export function findingObject(f: AdvisorFinding): string {
  return f.metadata?.schema && f.metadata?.name ? `${f.metadata.schema}.${f.metadata.name}` : "";
}

/**
 * Sorts findings into failing, excluded and info by `exclusions`, and lists exclusion objects that
 * matched nothing. Throws TypeError when `raw` is not the CLI's JSON shape ({results: [...]}).
 */
export function classifyFindings(
  raw: unknown,
  exclusions: readonly AdvisorExclusion[] = ADVISOR_EXCLUSIONS,
): AdvisorVerdict {
  const results = (raw as { results?: unknown })?.results;
  if (!Array.isArray(results)) {
    throw new TypeError("advisor output is not {results: [...]}");
  }
  const verdict: AdvisorVerdict = { failing: [], excluded: [], info: [], stale: [] };
  const used = new Set<string>();
  for (const f of results as AdvisorFinding[]) {
    if (typeof f?.name !== "string" || !["ERROR", "WARN", "INFO"].includes(f.level)) {
      throw new TypeError(`advisor finding without name or level: ${JSON.stringify(f)}`);
    }
    const object = findingObject(f);
    const rule = exclusions.find((e) =>
      e.lint === f.name && (e.objects === undefined || e.objects.includes(object))
    );
    if (rule) {
      verdict.excluded.push({ finding: f, why: rule.why });
      used.add(`${rule.lint} ${rule.objects ? object : "*"}`);
    } else if (f.level === "INFO") {
      verdict.info.push(f);
    } else {
      verdict.failing.push(f);
    }
  }
  for (const e of exclusions) {
    for (const o of e.objects ?? []) {
      if (!used.has(`${e.lint} ${o}`)) verdict.stale.push(`${e.lint} ${o}`);
    }
  }
  return verdict;
}

/** One line per finding: `LEVEL lint: detail` (for logs and step details). */
export function formatFindings(findings: readonly AdvisorFinding[]): string {
  return findings.map((f) => `${f.level} ${f.name}: ${f.detail}`).join("\n");
}
