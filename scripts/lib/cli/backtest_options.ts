/** Command-line options of `deno task backtest`: costs, sizing, exits, date range and evaluation mode. */

import { INTERVALS, isInterval } from "../../../shared/candles/intervals.ts";
import type { Interval } from "../../../shared/candles/intervals.ts";
import type { EvaluationOptions } from "../../../shared/backtest/evaluate.ts";
import { type BacktestSettings, parseBacktestSettings } from "../../../shared/backtest/settings.ts";
import type { SplitSpec } from "../../../shared/backtest/windows.ts";
import { numberOption } from "./numbers.ts";
import { UsageError } from "./run_cli.ts";

/** Option names (for `node:util` parseArgs) of the backtest settings and evaluation mode. */
export const BACKTEST_OPTIONS = {
  equity: { type: "string" },
  risk: { type: "string" },
  leverage: { type: "string" },
  fee: { type: "string" },
  slippage: { type: "string" },
  "scale-out": { type: "string" },
  "no-break-even": { type: "boolean" },
  "time-stop": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  resample: { type: "string" },
  split: { type: "string" },
  "walk-forward": { type: "string" },
  grid: { type: "boolean" },
} as const;

/** Help text for {@link BACKTEST_OPTIONS}. */
export const BACKTEST_HELP = `Backtest settings:
  --equity <n>              starting equity in quote currency (default 10000)
  --risk <pct>              percent of equity risked per trade, entry fill to stop (default 1)
  --leverage <n>            cap on position notional / equity (default 1 = no leverage)
  --fee <pct>               fee per side in percent of notional (default 0.1)
  --slippage <bps>          slippage per fill in basis points, against the trader (default 2)
  --scale-out <a,b,c>       shares of the position closed at TP1,TP2,TP3, sum 1 (default 1/3 each)
  --no-break-even           keep the original stop after TP1 (default: move it to the entry fill)
  --time-stop <bars>        close at the close of the N-th bar held (default 0 = off)
Data:
  --from <date> --to <date> only bars opening in [from, to) (UTC, e.g. 2024-03-01 or 2024-03-01T12:00)
  --resample <interval>     roll candles up first (e.g. --resample 4h on 1h files)
Out-of-sample:
  --split <ratio|date>      train on bars before the cut, report the rest (e.g. 0.7 or 2024-10-01)
  --walk-forward <folds>    rolling folds: train on segment i, test on segment i+1; report test folds
  --grid                    pick min confidence / stop ATR / target ATRs on train parts only
                            (27 points; alone it implies --split 0.7)`;

/** Everything the options say, validated. */
export interface BacktestCliOptions {
  settings: BacktestSettings;
  evaluation: EvaluationOptions;
  /** Bars opening in [from, to) are kept (ms, or null for unbounded). */
  from: number | null;
  to: number | null;
  resample: Interval | null;
}

/**
 * Parses a UTC date or date-time (`2024-03-01`, `2024-03-01T12:00`, or with an explicit zone) to ms.
 * Throws {@link UsageError} naming `--<name>` for another shape or a day, hour or minute that does not
 * exist (`2024-02-30`, `2024-13-01`, `24:00`), which `Date.parse` would roll over into the next one.
 */
export function parseUtcDate(name: string, v: string): number {
  const m = v.match(
    /^(\d{4})-(\d{2})-(\d{2})([T ](\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/,
  );
  if (!m) {
    throw new UsageError(
      `--${name}: expected a date like 2024-03-01 or 2024-03-01T12:00, got ${v}`,
    );
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const [hour, minute, second] = [Number(m[5] ?? 0), Number(m[6] ?? 0), Number(m[8] ?? 0)];
  if (
    month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 ||
    second > 59
  ) {
    throw new UsageError(`--${name}: not a valid date: ${v}`);
  }
  const iso = v.replace(" ", "T");
  const zoned = iso.length > 10 && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso;
  const t = Date.parse(zoned);
  if (!Number.isFinite(t)) throw new UsageError(`--${name}: not a valid date: ${v}`);
  return t;
}

/** Builds settings and evaluation options from parsed option values; bad values throw one line. */
export function backtestOptionsFromValues(
  values: Record<string, string | boolean | undefined>,
): BacktestCliOptions {
  const s = (k: string) => typeof values[k] === "string" ? values[k] as string : undefined;
  const raw: Record<string, unknown> = {};
  if (s("equity") !== undefined) raw.initialEquity = numberOption("equity", s("equity")!);
  if (s("risk") !== undefined) {
    const v = numberOption("risk", s("risk")!);
    if (!(v > 0 && v <= 100)) throw new UsageError(`--risk: percent must be in (0, 100], got ${v}`);
    raw.riskFraction = v / 100;
  }
  if (s("leverage") !== undefined) raw.maxLeverage = numberOption("leverage", s("leverage")!);
  if (s("fee") !== undefined) {
    const v = numberOption("fee", s("fee")!);
    if (!(v >= 0 && v <= 10)) throw new UsageError(`--fee: percent must be in [0, 10], got ${v}`);
    raw.feeRate = v / 100;
  }
  if (s("slippage") !== undefined) raw.slippageBps = numberOption("slippage", s("slippage")!);
  if (s("scale-out") !== undefined) {
    const parts = s("scale-out")!.split(",");
    if (parts.length !== 3) {
      throw new UsageError("--scale-out: expected three shares like 0.5,0.3,0.2");
    }
    raw.scaleOut = parts.map((p) => numberOption("scale-out", p));
  }
  if (values["no-break-even"]) raw.breakEvenAfterTp1 = false;
  if (s("time-stop") !== undefined) raw.timeStopBars = numberOption("time-stop", s("time-stop")!);
  let settings: BacktestSettings;
  try {
    settings = parseBacktestSettings(raw);
  } catch (e) {
    const msg = (e as Error).message
      .replace("initialEquity", "--equity")
      .replace("maxLeverage", "--leverage")
      .replace("slippageBps", "--slippage")
      .replace("scaleOut", "--scale-out")
      .replace("timeStopBars", "--time-stop");
    throw new UsageError(msg);
  }

  const evaluation: EvaluationOptions = {};
  if (s("split") !== undefined && s("walk-forward") !== undefined) {
    throw new UsageError("--split and --walk-forward cannot be combined");
  }
  if (s("split") !== undefined) {
    const v = s("split")!;
    let spec: SplitSpec;
    if (/^-?\d*\.?\d+$/.test(v)) {
      const ratio = Number(v);
      if (!(ratio > 0 && ratio < 1)) {
        throw new UsageError(`--split: ratio must be between 0 and 1, got ${v}`);
      }
      spec = { ratio };
    } else {
      spec = { time: parseUtcDate("split", v) };
    }
    evaluation.split = spec;
  }
  if (s("walk-forward") !== undefined) {
    const k = numberOption("walk-forward", s("walk-forward")!);
    if (!Number.isInteger(k) || k < 1 || k > 50) {
      throw new UsageError(
        `--walk-forward: expected a number of folds from 1 to 50, got ${s("walk-forward")}`,
      );
    }
    evaluation.walkForward = k;
  }
  if (values.grid) evaluation.grid = true;

  const from = s("from") !== undefined ? parseUtcDate("from", s("from")!) : null;
  const to = s("to") !== undefined ? parseUtcDate("to", s("to")!) : null;
  if (from !== null && to !== null && to <= from) throw new UsageError("--to must be after --from");
  let resample: Interval | null = null;
  if (s("resample") !== undefined) {
    const r = s("resample")!;
    if (!isInterval(r)) {
      throw new UsageError(
        `--resample: unknown interval ${JSON.stringify(r)} (expected one of ${
          INTERVALS.join(" ")
        })`,
      );
    }
    resample = r;
  }
  return { settings, evaluation, from, to, resample };
}
