/**
 * Canonical JSON and config hashes (ecosystem.md 7.4).
 *
 * Canonical JSON follows RFC 8785 (JCS) for the values a config holds: object keys sorted by UTF-16 code
 * units at every depth, no whitespace, numbers in ECMAScript's shortest round-trip form, strings escaped as
 * by `JSON.stringify`. Object properties whose value is `undefined` are left out, as `JSON.stringify` does.
 */

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The canonical JSON text of `value`; throws on anything JSON cannot hold exactly, naming its path from
 * `root` (e.g. "config.optimizer.lr").
 */
export function canonicalJson(value: unknown, root = "config"): string {
  return encode(value, root);
}

/** Encodes one value found at `path` (e.g. `config.optimizer.lr`). */
function encode(value: unknown, path: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new Error(`${path} is ${value}, which JSON cannot hold; use a finite number or a string`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${
      value.map((item, i) => {
        if (item === undefined) throw new Error(`${path}[${i}] is undefined; use null or remove the element`);
        return encode(item, `${path}[${i}]`);
      }).join(",")
    }]`;
  }
  if (typeof value === "object" && isPlainObject(value)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v, `${path}.${k}`)}`).join(",")}}`;
  }
  const kind = typeof value === "object" ? (value as object).constructor?.name ?? "object" : typeof value;
  throw new Error(
    `${path} is a ${kind}, which a config cannot hold; use plain objects, arrays, strings and numbers`,
  );
}

/** True for `{...}` literals and `Object.create(null)` objects (not Map, Date, class instances). */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The canonical form of a value as plain JSON (what the manifest stores); `root` names it in errors. */
export function canonicalValue(value: unknown, root = "config"): JsonValue {
  return JSON.parse(canonicalJson(value, root));
}

/**
 * The SHA-256 of the config's canonical JSON, as 64 lower-case hex characters. The full hash identifies a
 * config in the manifest; directory names may use a prefix (ecosystem.md 7.3 uses the first 12 characters).
 */
export async function configHash(config: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(config)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
