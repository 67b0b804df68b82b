/**
 * Whether analyzer settings can ever produce a signal, read off the fusion rules in `fusion.ts`
 * (a pattern method must name the direction; at least min(minAgreeing, enabled methods) must agree;
 * the agreeing methods need a positive weight).
 */

import type { AnalyzerConfig } from "./config.ts";
import type { Method } from "./types.ts";

/** What {@link signalReach} found. */
export interface SignalReach {
  /** Why no signal can ever be produced, or null when one can. */
  never: string | null;
  /** Settings that are accepted but do not do what they say (one sentence each). */
  warnings: string[];
}

const METHODS: readonly Method[] = ["wyckoff", "elliott", "indicators"];

/**
 * Checks `config` against the fusion rules: `never` explains why no bar can ever give a signal
 * (every method off; no pattern method on; no set of agreeing methods with positive weight large
 * enough for `minAgreeing`; Elliott on with both impulse and correction counting off and no other
 * pattern method), `warnings` lists settings that are silently capped (`minAgreeing` above the
 * methods on).
 */
export function signalReach(config: AnalyzerConfig): SignalReach {
  const warnings: string[] = [];
  const on = METHODS.filter((m) => config.methods[m]);
  if (on.length === 0) {
    return { never: "every method is off (wyckoff, elliott and indicators)", warnings };
  }
  const elliottCounts = config.elliott.impulse !== false || config.elliott.correction !== false;
  const patterns = on.filter((m) => m !== "indicators" && (m !== "elliott" || elliottCounts));
  if (patterns.length === 0) {
    const why = on.includes("elliott")
      ? "Elliott looks for neither impulses nor corrections (elliott.impulse and elliott.correction are false)"
      : `only ${on.join(" and ")} ${on.length === 1 ? "is" : "are"} on`;
    return {
      never: `no pattern method can name a direction: ${why}; a signal needs Wyckoff or Elliott`,
      warnings,
    };
  }
  const need = Math.min(config.minAgreeing, on.length);
  if (config.minAgreeing > on.length) {
    warnings.push(
      `minAgreeing ${config.minAgreeing} is more than the ${on.length} method${
        on.length === 1 ? "" : "s"
      } on (${on.join(", ")}): all ${on.length} must agree`,
    );
  }
  // A pattern method that cannot count never agrees: only `patterns` (+ indicators) can.
  const canAgree = on.filter((m) => m === "indicators" || patterns.includes(m));
  if (canAgree.length < need) {
    return {
      never: `${need} methods must agree but only ${canAgree.join(" and ")} can give an opinion`,
      warnings,
    };
  }
  // The best agreeing set: every method that can agree; its weight must be positive.
  const weight = canAgree.reduce((s, m) => s + config.weights[m], 0);
  if (!(weight > 0)) {
    return { never: `the weights of ${canAgree.join(", ")} are all 0`, warnings };
  }
  return { never: null, warnings };
}
