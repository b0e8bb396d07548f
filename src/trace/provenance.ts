/**
 * What produced a run: the lmo-bench version, the git revision of its source, and the runtime's versions.
 */

/** The lmo-bench release; the one place the version is written. */
export const LMOBENCH_VERSION = "0.1.0";

/** The git commit of the lmo-bench checkout and whether tracked files differ from it. */
export interface GitRevision {
  commit: string;
  dirty: boolean;
}

/** Versions of the JS runtime. */
export interface RuntimeVersions {
  deno: string;
  v8: string;
  typescript: string;
}

/** The running Deno, V8 and TypeScript versions. */
export function runtimeVersions(): RuntimeVersions {
  return { deno: Deno.version.deno, v8: Deno.version.v8, typescript: Deno.version.typescript };
}

/** Runs git in `cwd` and returns its trimmed stdout, or null if git is missing, denied or fails. */
async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "null" })
      .output();
    return success ? new TextDecoder().decode(stdout).trim() : null;
  } catch {
    return null; // git not installed, or no --allow-run=git
  }
}

/**
 * The git revision of the checkout holding this source file (or of `cwd` when given): HEAD's commit and
 * whether tracked files are modified (untracked files such as run directories do not count). Null outside a
 * git checkout, without git, or without permission to run it; never throws.
 */
export async function gitRevision(cwd?: string): Promise<GitRevision | null> {
  const source = new URL("../../", import.meta.url);
  const dir = cwd ?? (source.protocol === "file:" ? decodeURIComponent(source.pathname) : null);
  if (dir === null) return null;
  const commit = await git(dir, ["rev-parse", "HEAD"]);
  if (commit === null) return null;
  const status = await git(dir, ["status", "--porcelain", "--untracked-files=no"]);
  return status === null ? null : { commit, dirty: status.length > 0 };
}
