/**
 * The check both batchers make before resuming from a saved state.
 */

/**
 * Throws unless every setting in `current` (all keys but the position keys) equals the saved one, so a
 * resumed run cannot silently continue another data stream.
 */
export function checkSameSettings<T extends object>(
  what: string,
  saved: T,
  current: T,
  positionKeys: readonly (keyof T)[],
): void {
  const keys = (Object.keys(current) as (keyof T)[]).filter((key) => !positionKeys.includes(key));
  const differences = keys.filter((key) => saved[key] !== current[key])
    .map((key) => `${String(key)} was ${saved[key]}, is ${current[key]}`);
  if (differences.length > 0) {
    throw new Error(
      `Cannot restore ${what} from a saved state: ${
        differences.join("; ")
      }. Resume with the same data and settings.`,
    );
  }
  for (const key of positionKeys) {
    const value = saved[key];
    if (!(Number.isInteger(value) && (value as number) >= 0)) {
      throw new Error(
        `Cannot restore ${what}: saved ${String(key)} must be a non-negative integer, got ${value}.`,
      );
    }
  }
}
