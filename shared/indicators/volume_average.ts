/** Volume average: the simple moving average of volume (default 20 bars), streaming and batch. */

import { Sma, type SmaState } from "./sma.ts";

/** JSON state of a {@link VolumeAverage}. */
export type VolumeAverageState = SmaState;

/** Streaming average volume of the last `period` bars (NaN for the first `period − 1`). */
export class VolumeAverage {
  /** Number of bars averaged. */
  readonly period: number;
  private sma: Sma;

  /** Creates a volume average of `period` bars (20 by default). */
  constructor(period = 20) {
    this.sma = new Sma(period);
    this.period = period;
  }

  /** Adds a bar's volume and returns the current average (NaN during warm-up). */
  update(volume: number): number {
    return this.sma.update(volume);
  }

  /** Compact JSON state (the last `period` volumes). */
  toState(): VolumeAverageState {
    return this.sma.toState();
  }

  /** Restores a volume average saved with {@link toState}. */
  static fromState(state: unknown): VolumeAverage {
    const sma = Sma.fromState(state);
    const v = new VolumeAverage(sma.period);
    v.sma = sma;
    return v;
  }
}

/** Batch volume average: the same numbers as feeding {@link VolumeAverage} one volume at a time. */
export function volumeAverage(volume: Float64Array, period = 20): Float64Array {
  const v = new VolumeAverage(period);
  const out = new Float64Array(volume.length);
  for (let i = 0; i < volume.length; i++) out[i] = v.update(volume[i]);
  return out;
}
