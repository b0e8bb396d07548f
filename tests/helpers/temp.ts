/** Temporary directories for tests, always removed afterwards. */

/** Runs `body` with a fresh temporary directory and removes it, whatever happens. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>, prefix = "lmo-test-"): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
