/** Turning an untrusted string into an {@link Interval}. */

import { CandleError } from "./errors.ts";
import { type Interval, INTERVALS, isInterval } from "./intervals.ts";

/** Returns `s` as an Interval or throws CandleError (rule `"interval"`) naming the valid ones. */
export function assertInterval(s: string): Interval {
  if (isInterval(s)) return s;
  throw new CandleError(
    null,
    "interval",
    `unknown interval ${JSON.stringify(s)} (expected one of ${INTERVALS.join(" ")})`,
  );
}
