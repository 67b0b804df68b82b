/** The error every candle parser and validator throws. */

/**
 * Rule ids. Validation: `time` (open_time not a non-negative integer), `price` (open/high/low/close
 * not positive and finite), `high_low` (high < low), `high_oc` (high < max(open, close)), `low_oc`
 * (low > min(open, close)), `volume` (a volume, quote volume or trade count negative or not finite),
 * `close_time` (close_time outside [open_time, next open_time - 1]), `aligned` (open_time not on the
 * interval grid), `order` (open times not strictly increasing), `interval` (unknown interval name).
 * Parsing: `shape` (wrong structure), `number` (not a decimal number), `csv_header`, `csv_columns`,
 * `csv_blank` (blank line before the end), `stream` (combined-stream name disagrees with the event).
 */
export type CandleRule =
  | "time"
  | "price"
  | "high_low"
  | "high_oc"
  | "low_oc"
  | "volume"
  | "close_time"
  | "aligned"
  | "order"
  | "interval"
  | "shape"
  | "number"
  | "csv_header"
  | "csv_columns"
  | "csv_blank"
  | "stream";

/**
 * A rejected candle input. `row` is the 0-based row (array element or CSV data row) or null when the
 * input has no rows (e.g. a WebSocket message); `rule` is a short rule id such as `"high_low"`;
 * `detail` is the message without its `row N: ` prefix; `message` is one line.
 *
 * @example
 * new CandleError(17, "high_low", "high < low (high=1, low=2)").message
 * // "row 17: high < low (high=1, low=2)"
 */
export class CandleError extends Error {
  /** 0-based row the error is about, or null. */
  readonly row: number | null;
  /** Short rule id, e.g. `"price"`, `"high_low"`, `"order"`. */
  readonly rule: CandleRule;
  /** The message without the `row N: ` prefix. */
  readonly detail: string;

  constructor(row: number | null, rule: CandleRule, detail: string) {
    super(row === null ? detail : `row ${row}: ${detail}`);
    this.name = "CandleError";
    this.row = row;
    this.rule = rule;
    this.detail = detail;
  }
}
