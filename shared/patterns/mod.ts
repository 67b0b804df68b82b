/** Pattern detectors: confirmed pivots, Elliott Wave counts and Wyckoff ranges, phases and events. */

export * from "./types.ts";
export * from "./pivots.ts";
export * from "./elliott.ts";
export * from "./wyckoff.ts";
export * from "./price_text.ts";
