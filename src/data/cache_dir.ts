/**
 * Where lmo-bench keeps derived data (decoded image sets) between runs.
 */
import { join } from "node:path";

/**
 * The cache directory: `$LMO_BENCH_CACHE` if set, else `$XDG_CACHE_HOME/lmo-bench`, else
 * `~/.cache/lmo-bench` (`%LOCALAPPDATA%\lmo-bench` on Windows).
 */
export function defaultCacheDir(): string {
  const explicit = Deno.env.get("LMO_BENCH_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "lmo-bench");
  const home = Deno.env.get("HOME");
  if (home) return join(home, ".cache", "lmo-bench");
  const localAppData = Deno.env.get("LOCALAPPDATA");
  if (localAppData) return join(localAppData, "lmo-bench");
  throw new Error(
    "No cache directory: set LMO_BENCH_CACHE (or XDG_CACHE_HOME or HOME) to a writable folder.",
  );
}
