/** Turns command-line options into a validated analyzer config (shared by `signals` and `backtest`). */

import { type AnalyzerConfig, parseAnalyzerConfig } from "../../../shared/signals/config.ts";
import { signalReach } from "../../../shared/signals/can_signal.ts";
import { numberOption } from "./numbers.ts";
import { note, UsageError } from "./run_cli.ts";

/** Option names (for `node:util` parseArgs) that set analyzer settings. */
export const ANALYZER_OPTIONS = {
  config: { type: "string" },
  "min-confidence": { type: "string" },
  "min-agreeing": { type: "string" },
  cooldown: { type: "string" },
  "stop-atr": { type: "string" },
  "tp-atr": { type: "string" },
  "no-wyckoff": { type: "boolean" },
  "no-elliott": { type: "boolean" },
  "no-indicators": { type: "boolean" },
} as const;

/** Help text for {@link ANALYZER_OPTIONS}. */
export const ANALYZER_HELP = `Analyzer settings:
  --config <file.json>      analyzer config (see README "Settings"); flags below override it
  --min-confidence <0..1>   minimum confidence: the calibrated probability of reaching TP1
                            (default 0 = no filter; a heuristic score with "confidence": "score")
  --min-agreeing <1..3>     methods that must agree (default 2)
  --cooldown <bars>         bars without a new signal after one (default 12)
  --stop-atr <n>            stop-loss distance in ATRs (default 2; with the default structural
                            stops only where no pattern level applies)
  --tp-atr <a,b,c>          take-profit distances in ATRs (default 4,6,8)
  --no-wyckoff | --no-elliott | --no-indicators   disable a method`;

/**
 * Builds the config from parsed option values. Bad values throw a one-line {@link UsageError} (every
 * bad field of a config file at once); settings that can never produce a signal are refused with the
 * reason, and settings that are silently capped are noted on stderr.
 */
export async function analyzerConfigFromOptions(
  values: Record<string, string | boolean | undefined>,
): Promise<AnalyzerConfig> {
  let base: Record<string, unknown> = {};
  if (typeof values.config === "string") {
    let text: string;
    try {
      text = await Deno.readTextFile(values.config);
    } catch (e) {
      throw new UsageError(`--config ${values.config}: ${(e as Error).message}`);
    }
    try {
      base = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--config ${values.config}: invalid JSON: ${(e as Error).message}`);
    }
    if (typeof base !== "object" || base === null || Array.isArray(base)) {
      throw new UsageError(`--config ${values.config}: must hold a JSON object`);
    }
  }
  const c: Record<string, unknown> = { ...base };
  const s = (k: string) => typeof values[k] === "string" ? values[k] as string : undefined;
  const flags: [string, string][] = [
    ["min-confidence", "minConfidence"],
    ["min-agreeing", "minAgreeing"],
    ["cooldown", "cooldownBars"],
    ["stop-atr", "stopAtr"],
  ];
  for (const [flag, key] of flags) {
    const v = s(flag);
    if (v !== undefined) c[key] = numberOption(flag, v);
  }
  const tp = s("tp-atr");
  if (tp !== undefined) {
    const parts = tp.split(",");
    if (parts.length !== 3) throw new UsageError(`--tp-atr: expected three numbers like 4,6,8`);
    c.takeProfitAtr = parts.map((p) => numberOption("tp-atr", p));
  }
  const baseMethods = base.methods;
  const methods: Record<string, unknown> =
    typeof baseMethods === "object" && baseMethods !== null && !Array.isArray(baseMethods)
      ? { ...baseMethods }
      : {};
  if (values["no-wyckoff"]) methods.wyckoff = false;
  if (values["no-elliott"]) methods.elliott = false;
  if (values["no-indicators"]) methods.indicators = false;
  if (Object.keys(methods).length) c.methods = methods;
  let config: AnalyzerConfig;
  try {
    config = parseAnalyzerConfig(c);
  } catch (e) {
    const where = typeof values.config === "string" ? `--config ${values.config}: ` : "";
    throw new UsageError(`${where}${(e as Error).message}`);
  }
  const reach = signalReach(config);
  if (reach.never !== null) {
    throw new UsageError(`these settings can never produce a signal: ${reach.never}`);
  }
  for (const w of reach.warnings) note(`warning: ${w}`);
  return config;
}
