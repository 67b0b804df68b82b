/** Locates system Postgres server binaries (initdb, pg_ctl) and their extension directory. */

/** A system Postgres installation. */
export interface PgBin {
  /** Directory holding initdb, pg_ctl, postgres. */
  dir: string;
  /** Major version, e.g. 15. */
  major: number;
  /** True when `<sharedir>/extension/<name>.control` exists. */
  hasExtension(name: string): Promise<boolean>;
}

const PREFERRED = [15, 16, 17, 18, 14];

/** Finds system Postgres binaries (Debian layout first, then `pg_config` on PATH); null when absent. */
export async function findPgBin(): Promise<PgBin | null> {
  for (const major of PREFERRED) {
    const dir = `/usr/lib/postgresql/${major}/bin`;
    if (await isFile(`${dir}/initdb`) && await isFile(`${dir}/pg_ctl`)) return await describe(dir);
  }
  const bindir = await output("pg_config", ["--bindir"]);
  if (bindir && await isFile(`${bindir}/initdb`)) return await describe(bindir);
  return null;
}

async function describe(dir: string): Promise<PgBin> {
  const version = (await output(`${dir}/postgres`, ["--version"])) ?? "";
  const major = Number(version.match(/(\d+)(?:\.\d+)?/)?.[1] ?? 0);
  const sharedir = (await output(`${dir}/pg_config`, ["--sharedir"])) ??
    `/usr/share/postgresql/${major}`;
  return {
    dir,
    major,
    hasExtension: (name) => isFile(`${sharedir}/extension/${name}.control`),
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function output(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}
