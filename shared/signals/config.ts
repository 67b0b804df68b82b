/** Analyzer configuration: one zod-validated object with documented defaults, read once and passed down. */

import { z } from "zod";
import {
  DEFAULT_ELLIOTT_OPTIONS,
  type ElliottOptions,
  resolveElliottOptions,
} from "../patterns/elliott_options.ts";
import {
  DEFAULT_PIVOT_OPTIONS,
  type PivotOptions,
  resolvePivotOptions,
} from "../patterns/pivots.ts";
import {
  DEFAULT_WYCKOFF_OPTIONS,
  resolveWyckoffOptions,
  type WyckoffOptions,
} from "../patterns/wyckoff_options.ts";

/** Weights and switches for the three methods. */
const methodFlags = z.object({
  wyckoff: z.boolean().default(true),
  elliott: z.boolean().default(true),
  indicators: z.boolean().default(true),
}).strict();

const methodWeights = z.object({
  wyckoff: z.number().min(0).default(0.4),
  elliott: z.number().min(0).default(0.4),
  indicators: z.number().min(0).default(0.2),
}).strict();

const positive = z.number().positive().finite();

/** A partial override of a pattern detector's options: numbers, booleans or strings by key. */
const overrides = z.record(z.string(), z.union([z.number().finite(), z.boolean(), z.string()]));

/** The zod schema of {@link AnalyzerConfig}; every field has a default. */
export const AnalyzerConfigSchema = z.object({
  /** Which methods run. Disabled methods neither vote nor weigh. */
  methods: methodFlags.default({ wyckoff: true, elliott: true, indicators: true }),
  /** Weight of each method in the fused confidence. */
  weights: methodWeights.default({ wyckoff: 0.4, elliott: 0.4, indicators: 0.2 }),
  /**
   * Minimum confidence for a signal: a probability of reaching TP1 with `confidence: "probability"`
   * (the default), else a minimum heuristic score.
   */
  minConfidence: z.number().min(0).max(1).default(0),
  /** Minimum number of methods (indicators count as one) agreeing on the direction. */
  minAgreeing: z.number().int().min(1).max(3).default(2),
  /** Multiplier applied to the confidence when every enabled method agrees (capped at 1). */
  agreementBoost: z.number().min(1).max(2).default(1.2),
  /** Stop-loss distance in ATRs. */
  stopAtr: positive.default(2),
  /** Take-profit distances in ATRs, ascending. */
  takeProfitAtr: z.tuple([positive, positive, positive]).default([4, 6, 8])
    .refine((t) => t[0] < t[1] && t[1] < t[2], "takeProfitAtr must be ascending"),
  /** Bars after a signal during which no new signal is emitted for the series. */
  cooldownBars: z.number().int().min(0).default(12),
  /** Bars an Elliott count stays usable after its confirmation (unless invalidated). */
  elliottFreshBars: z.number().int().min(0).default(10),
  /** Bars a Wyckoff event stays usable after it happened. */
  wyckoffFreshBars: z.number().int().min(0).default(5),
  /** Minimum share of indicator checks that must favour a direction for indicators to vote. */
  indicatorMinScore: z.number().min(0).max(1).default(0.6),
  /**
   * Trade only with the trend: "off"; "ema" (the series' EMA50 vs EMA200); "htf" (the trend of a
   * higher timeframe aggregated from the series itself, see `htf`).
   */
  trendFilter: z.enum(["off", "ema", "htf"]).default("htf"),
  /** The higher timeframe: bars per bucket and the EMA periods on the buckets' closes. */
  htf: z.object({
    factor: z.number().int().min(2).max(1000).default(4),
    fast: z.number().int().min(1).default(20),
    slow: z.number().int().min(2).default(50),
  }).strict().default({ factor: 4, fast: 20, slow: 50 })
    .refine((h) => h.fast < h.slow, "htf.fast must be below htf.slow"),
  /**
   * Where the stop goes: "atr" (`stopAtr` × ATR from the entry) or "structure" (beyond the level the
   * pattern implies: a spring's low, an upthrust's high, the broken range edge of a sign of strength
   * or weakness, the Elliott invalidation; `stopBufferAtr` beyond it, the distance clamped to
   * [`stopMinAtr`, `stopMaxAtr`] ATRs).
   */
  stopMode: z.enum(["atr", "structure"]).default("structure"),
  /** Distance beyond the structural level, in ATRs. */
  stopBufferAtr: z.number().min(0).default(0.25),
  /** Nearest and farthest structural stop, in ATRs from the entry. */
  stopMinAtr: positive.default(1),
  stopMaxAtr: positive.default(4),
  /**
   * Nearest stop as a percentage of the entry price (0 = none): a closer stop is widened to it, so
   * fees and slippage (about 0.24 % of price per round trip at Binance's base rate) stay a small
   * part of the risk.
   */
  stopMinPct: z.number().min(0).max(50).default(0),
  /** Minimum TP1 reward-to-risk (TP1 distance / stop distance); 0 = no minimum. */
  minRiskReward: z.number().min(0).default(0),
  /**
   * Springs and upthrusts count only once a later bar (while the event is fresh) closes beyond the
   * event bar's other extreme: above a spring bar's high, below an upthrust bar's low.
   */
  requireFollowThrough: z.boolean().default(false),
  /**
   * What `confidence` is: "probability" (the calibrated chance of reaching TP1 before the stop,
   * shared/signals/calibration.ts; `minConfidence` then filters on that probability) or "score"
   * (the heuristic blend of the methods' own confidences).
   */
  confidence: z.enum(["probability", "score"]).default("probability"),
  /** Overrides of the pivot detector's options (see shared/patterns/pivots.ts). */
  pivots: overrides.default({}),
  /** Overrides of the Elliott options (see shared/patterns/elliott.ts). */
  elliott: overrides.default({}),
  /** Overrides of the Wyckoff options (see shared/patterns/wyckoff.ts). */
  wyckoff: overrides.default({}),
}).strict();

/** Validated analyzer settings. */
export type AnalyzerConfig = z.infer<typeof AnalyzerConfigSchema>;

/** Every default, as {@link parseAnalyzerConfig} returns for `{}`. */
export const DEFAULT_ANALYZER_CONFIG: AnalyzerConfig = AnalyzerConfigSchema.parse({});

/** Error for invalid configuration, with one line per problem (`path: message`). */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Validates and completes `input` with defaults; throws {@link ConfigError} naming every bad field
 * at once (`invalid analyzer config: minConfidence: …; wyckoff.volumeStrong: …`), including the
 * nested detector options.
 */
export function parseAnalyzerConfig(input: unknown): AnalyzerConfig {
  const r = AnalyzerConfigSchema.safeParse(input ?? {});
  const lines = r.success
    ? []
    : r.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`);
  const raw = (typeof input === "object" && input !== null ? input : {}) as Record<string, unknown>;
  lines.push(...detectorIssues(raw));
  if (r.success && r.data.stopMinAtr > r.data.stopMaxAtr) {
    lines.push("stopMinAtr: must not exceed stopMaxAtr");
  }
  if (!r.success || lines.length) {
    throw new ConfigError(`invalid analyzer config: ${lines.join("; ")}`);
  }
  return r.data;
}

const DETECTORS = {
  pivots: { defaults: DEFAULT_PIVOT_OPTIONS, resolve: resolvePivotOptions },
  elliott: { defaults: DEFAULT_ELLIOTT_OPTIONS, resolve: resolveElliottOptions },
  wyckoff: { defaults: DEFAULT_WYCKOFF_OPTIONS, resolve: resolveWyckoffOptions },
} as const;

/**
 * Every problem in the nested detector options of a raw config: each key is checked on its own
 * (unknown, wrong type, out of range), then the whole group (rules across keys) when its keys pass.
 */
function detectorIssues(raw: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [group, d] of Object.entries(DETECTORS)) {
    const over = raw[group];
    if (typeof over !== "object" || over === null || Array.isArray(over)) continue; // zod reports it
    const before = out.length;
    for (const [k, v] of Object.entries(over)) {
      try {
        (d.resolve as (o: object) => unknown)(mergeOptions(group, d.defaults, { [k]: v }));
      } catch (e) {
        out.push(detectorMessage(group, e));
      }
    }
    if (out.length > before) continue;
    try {
      (d.resolve as (o: object) => unknown)(
        mergeOptions(group, d.defaults, over as Record<string, unknown>),
      );
    } catch (e) {
      out.push(detectorMessage(group, e));
    }
  }
  return out;
}

function detectorMessage(group: string, e: unknown): string {
  const msg = (e as Error).message;
  return e instanceof ConfigError
    ? msg.replace(/^invalid analyzer config: /, "")
    : `${group}: ${msg}`;
}

/** Resolved options of the pattern detectors. */
export interface DetectorOptions {
  pivots: PivotOptions;
  elliott: ElliottOptions;
  wyckoff: WyckoffOptions;
}

/** The detectors' complete options for `config`; throws {@link ConfigError} naming a bad one. */
export function detectorOptions(config: AnalyzerConfig): DetectorOptions {
  const resolve = <T>(group: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError(`invalid analyzer config: ${group}: ${(e as Error).message}`);
    }
  };
  return {
    pivots: resolve(
      "pivots",
      () => resolvePivotOptions(mergeOptions("pivots", DEFAULT_PIVOT_OPTIONS, config.pivots)),
    ),
    elliott: resolve(
      "elliott",
      () => resolveElliottOptions(mergeOptions("elliott", DEFAULT_ELLIOTT_OPTIONS, config.elliott)),
    ),
    wyckoff: resolve(
      "wyckoff",
      () => resolveWyckoffOptions(mergeOptions("wyckoff", DEFAULT_WYCKOFF_OPTIONS, config.wyckoff)),
    ),
  };
}

/**
 * Applies `overrides` to a detector's `defaults`, rejecting unknown keys and values whose type differs
 * from the default's. Used for the nested pivots / elliott / wyckoff options.
 */
export function mergeOptions<T extends object>(
  group: string,
  defaults: T,
  over: Record<string, unknown>,
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (!(k in out)) {
      throw new ConfigError(`invalid analyzer config: ${group}.${k}: unknown option`);
    }
    if (typeof v !== typeof out[k]) {
      throw new ConfigError(
        `invalid analyzer config: ${group}.${k}: expected ${typeof out[k]}, got ${typeof v}`,
      );
    }
    out[k] = v;
  }
  return out as T;
}

/**
 * A stable string identifying the settings that change analyzer state (stored with snapshots): the
 * config, and with calibrated confidence the calibration model's id (`modelId`).
 */
export function configKey(config: AnalyzerConfig, modelId?: string): string {
  const key = JSON.stringify(config);
  return config.confidence === "probability" && modelId !== undefined ? `${key}#${modelId}` : key;
}
