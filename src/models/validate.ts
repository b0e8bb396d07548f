/**
 * Checks shared by the workload builders: option values (with messages that name the workload, the key and
 * the fix) and the tensors a loss builder is handed.
 */
import { fmtShape, type Tensor } from "../graph/mod.ts";

/** Throws unless every key of `options` is one of `allowed`, listing the valid keys. */
export function rejectUnknownKeys(owner: string, options: object, allowed: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length) {
    throw new Error(
      `${owner}: unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; valid options: ${
        allowed.join(", ")
      }`,
    );
  }
}

/** Returns `value` if it is an integer >= min (1 by default), else throws naming the key. */
export function intAtLeast(owner: string, key: string, value: unknown, min = 1): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new Error(`${owner}: ${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Returns `value` if it is a finite positive number, else throws naming the key. */
export function positiveNumber(owner: string, key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${owner}: ${key} must be a finite positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Returns `value` if it is one of `choices`, else throws listing them. */
export function oneOf<T>(owner: string, key: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new Error(
      `${owner}: ${key} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value as T;
}

/** Returns `value` if it is a finite number in [min, max], else throws naming the range. */
export function numberIn(owner: string, key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${owner}: ${key} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Throws unless `given` holds a tensor of the declared shape (and dtype, where declared) for every spec:
 * the workload's loss builder calls this on its parameters and on its batch.
 */
export function requireTensors(
  owner: string,
  what: "parameter" | "batch input",
  specs: readonly { name: string; shape: readonly number[]; dtype?: string }[],
  given: Record<string, Tensor>,
): void {
  for (const spec of specs) {
    const t = given[spec.name];
    if (!t) throw new Error(`${owner}: missing ${what} "${spec.name}" (shape ${fmtShape(spec.shape)})`);
    const shapeOk = t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
    if (!shapeOk || (spec.dtype && t.dtype !== spec.dtype)) {
      throw new Error(
        `${owner}: ${what} "${spec.name}" is ${t.dtype} ${fmtShape(t.shape)}, expected ${
          spec.dtype ?? "float"
        } ${fmtShape(spec.shape)}`,
      );
    }
  }
}
