/** Splitting CSV text into data lines for the candle CSV parsers. */

import { CandleError } from "./errors.ts";

/**
 * The lines of `text` without line endings (`\n` or `\r\n`) and without trailing blank lines.
 * A blank line before the last non-blank one throws CandleError (rule `csv_blank`) with the 0-based
 * data row, counting data rows from line `firstDataLine` (0-based).
 */
export function csvLines(text: string, firstDataLine = 0): string[] {
  const lines = text.split("\n");
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  while (end > 0 && lines[end - 1].trim() === "") end--;
  lines.length = end;
  for (let i = firstDataLine; i < end; i++) {
    if (lines[i].length === 0 || lines[i].trim() === "") {
      throw new CandleError(i - firstDataLine, "csv_blank", `blank line ${i + 1} inside the data`);
    }
  }
  return lines;
}
