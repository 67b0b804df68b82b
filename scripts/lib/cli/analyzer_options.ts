/** Turns command-line options into a validated analyzer config (shared by `signals` and `backtest`). */

import { type AnalyzerConfig, parseAnalyzerConfig } from "../../../shared/signals/config.ts";
import { UsageError } from "./run_cli.ts";

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
  --min-confidence <0..1>   minimum fused confidence (default 0.6)
  --min-agreeing <1..3>     methods that must agree (default 2)
  --cooldown <bars>         bars without a new signal after one (default 12)
  --stop-atr <n>            stop-loss distance in ATRs (default 2)
  --tp-atr <a,b,c>          take-profit distances in ATRs (default 4,6,8)
  --no-wyckoff | --no-elliott | --no-indicators   disable a method`;

function num(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name}: not a number: ${v}`);
  return n;
}

/** Builds the config from parsed option values; bad values throw a one-line {@link UsageError}. */
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
  if (s("min-confidence")) c.minConfidence = num("min-confidence", s("min-confidence")!);
  if (s("min-agreeing")) c.minAgreeing = num("min-agreeing", s("min-agreeing")!);
  if (s("cooldown")) c.cooldownBars = num("cooldown", s("cooldown")!);
  if (s("stop-atr")) c.stopAtr = num("stop-atr", s("stop-atr")!);
  if (s("tp-atr")) {
    const parts = s("tp-atr")!.split(",");
    if (parts.length !== 3) throw new UsageError(`--tp-atr: expected three numbers like 4,6,8`);
    c.takeProfitAtr = parts.map((p) => num("tp-atr", p));
  }
  const methods = { ...(base.methods as Record<string, unknown> ?? {}) };
  if (values["no-wyckoff"]) methods.wyckoff = false;
  if (values["no-elliott"]) methods.elliott = false;
  if (values["no-indicators"]) methods.indicators = false;
  if (Object.keys(methods).length) c.methods = methods;
  try {
    return parseAnalyzerConfig(c);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
