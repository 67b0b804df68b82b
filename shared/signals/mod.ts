/** The signal layer: settings, fusion, the streaming analyzer and its batch entry points. */

export {
  type AnalysisView,
  AnalyzerCore,
  AnalyzerError,
  type AnalyzerSnapshot,
  StreamingAnalyzer,
} from "./analyzer.ts";
export { advance, type Advanced } from "./advance.ts";
export {
  type AnalyzerConfig,
  AnalyzerConfigSchema,
  ConfigError,
  configKey,
  DEFAULT_ANALYZER_CONFIG,
  detectorOptions,
  parseAnalyzerConfig,
} from "./config.ts";
export { fuse, type FusionInput } from "./fusion.ts";
export { INDICATOR_CHECKS, type IndicatorVote, voteIndicators } from "./indicator_vote.ts";
export { type SignalRecord, signalRecord } from "./record.ts";
export type { Contribution, Direction, Method, Signal } from "./types.ts";
export { analyzeBatch, analyzeSeries, analyzeWindow } from "./window.ts";
