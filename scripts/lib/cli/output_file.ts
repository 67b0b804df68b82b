/**
 * Files a CLI writes (`--out`, `--html`): checked before the work starts, so a long run never ends
 * on "no such folder", and written whole or not at all.
 */

import { dirname } from "node:path";
import { oneLine, UsageError } from "./run_cli.ts";

/**
 * Checks that `path` can be written as the value of `--<option>`: not empty, its folder exists and
 * is a folder, and `path` itself is not a folder. Throws {@link UsageError}
 * (`--out x/y.png: no such folder x`). Touches nothing.
 */
export async function checkOutputPath(option: string, path: string): Promise<void> {
  if (path.trim() === "") throw new UsageError(`--${option}: expected a file name`);
  const dir = dirname(path);
  const folder = await statOrNull(dir);
  if (folder === null) throw new UsageError(`--${option} ${path}: no such folder ${dir}`);
  if (!folder.isDirectory) throw new UsageError(`--${option} ${path}: ${dir} is not a folder`);
  const target = await statOrNull(path);
  if (target?.isDirectory) {
    throw new UsageError(`--${option} ${path}: is a folder (give a file name)`);
  }
}

/**
 * Writes `data` to `path` (the value of `--<option>`) through a temporary file in the same folder
 * renamed over it, so a failed write leaves an existing file as it was. Throws
 * {@link UsageError} naming the option and the reason in one line.
 */
export async function writeOutputFile(
  option: string,
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  await checkOutputPath(option, path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const tmp = `${path}.${Deno.pid}.part`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new UsageError(`--${option} ${path}: cannot write (${oneLine(e)})`);
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UsageError(`${path}: ${oneLine(e)}`);
  }
}
