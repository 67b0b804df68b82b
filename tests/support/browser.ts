/**
 * A real headless browser for tests: Debian's chromium driven by playwright-core (no browser is ever
 * downloaded). Absent chromium skips browser tests on a developer machine and fails them in CI.
 */

import { chromium, type Page } from "playwright-core";

/** Where chromium is looked for (`CHROMIUM_PATH` overrides; Debian's package installs here). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** True when `CI=true` (then a missing browser is a failure, not a skip). */
export const IN_CI = Deno.env.get("CI") === "true";

/** Whether the browser binary exists. */
export function chromiumInstalled(): boolean {
  try {
    return Deno.statSync(CHROMIUM_PATH).isFile;
  } catch {
    return false;
  }
}

/**
 * Whether browser tests should be skipped: chromium is missing outside CI. Prints one note saying
 * so (once per call site) so a skip is never silent.
 */
export function skipBrowserTests(what: string): boolean {
  if (chromiumInstalled() || IN_CI) return false;
  console.error(
    `note: ${CHROMIUM_PATH} not found: ${what} skipped (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
  return true;
}

/** What the page did that a test may want to refuse. */
export interface PageLog {
  /** Console messages of type error, and uncaught exceptions. */
  errors: string[];
  /** Requests that failed, and any request for something other than file:, data: or blob:. */
  requests: string[];
}

/** Chromium flags: headless, no sandbox (root in CI), no GPU, no background network traffic. */
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Runs `fn` with a fresh page in an offline headless chromium with a fresh profile directory
 * (removed afterwards). Console errors, page errors and network requests are recorded in the log.
 * Throws when chromium is missing.
 */
export async function withPage(
  viewport: { width: number; height: number },
  fn: (page: Page, log: PageLog) => Promise<void>,
): Promise<void> {
  if (!chromiumInstalled()) throw new Error(`chromium not found at ${CHROMIUM_PATH}`);
  const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      offline: true,
      viewport,
      args: ARGS,
    });
    try {
      const page = await context.newPage();
      const log: PageLog = { errors: [], requests: [] };
      page.on("console", (m) => {
        if (m.type() === "error") log.errors.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => log.errors.push(`exception: ${e.message}`));
      page.on("requestfailed", (r) => log.requests.push(`failed: ${r.url()}`));
      page.on("request", (r) => {
        if (!/^(file|data|blob):/.test(r.url())) log.requests.push(`network: ${r.url()}`);
      });
      await fn(page, log);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
}
