/**
 * The optional chart of a signal card (issue 13 plugs its PNG renderer in here).
 *
 * When {@link chartRenderer} is set, discord-notify calls it for each card; PNG bytes are uploaded
 * with the card as multipart `files[0]` named `chart.png` (with `payload_json`), and the card's embed
 * shows it as `image.url = "attachment://chart.png"`; card edits (status line) keep referring to the
 * same attachment. A renderer that returns null or throws leaves the card without a chart (the
 * error is logged); the card is never held back for it. Keep it within the function's CPU budget
 * (2 s per request on Supabase, shared with everything else in the run).
 */

import type { CardSignal } from "../_shared/db_api.ts";
import type { Deps } from "../_shared/deps.ts";

/** Renders the chart of `signal` as PNG bytes, or null for none. */
export type ChartRenderer = (
  signal: CardSignal,
  deps: Deps,
) => Promise<Uint8Array<ArrayBuffer> | null>;

/** The renderer used in production: none yet. */
export const chartRenderer: ChartRenderer | null = null;
