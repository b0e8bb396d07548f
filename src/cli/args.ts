/** Command-line helpers shared by the commands: dotted override flags and number parsing with clear errors. */
import { watchLauncher } from "./stop.ts";

/** Override values as typed on the command line: numbers become numbers, true/false booleans, the rest strings. */
export type OverrideValue = string | number | boolean;

/**
 * Pulls `--PREFIX.KEY VALUE` and `--PREFIX.KEY=VALUE` pairs out of `args` for each prefix, returning them
 * by prefix and the remaining arguments (for node:util parseArgs).
 */
export function extractOverrides(
  args: readonly string[],
  prefixes: readonly string[],
): { overrides: Record<string, Record<string, OverrideValue>>; rest: string[] } {
  const overrides: Record<string, Record<string, OverrideValue>> = Object.fromEntries(prefixes.map((p) => [p, {}]));
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z]+)\.([A-Za-z0-9_.-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m || !prefixes.includes(m[1])) {
      rest.push(args[i]);
      continue;
    }
    let value = m[3];
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new Error(`--${m[1]}.${m[2]} needs a value`);
    }
    overrides[m[1]][m[2]] = parseValue(value);
  }
  return { overrides, rest };
}

/** Interprets a command-line value: a finite number, true/false, or the string itself. */
export function parseValue(v: string): OverrideValue {
  if (v === "true") return true;
  if (v === "false") return false;
  const n = Number(v);
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

/** Parses an integer option, or throws naming the flag. */
export function intOption(flag: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${v}"`);
  return n;
}

/**
 * Runs a command's main, printing errors as one line (no stack trace) and exiting non-zero; the command
 * ends with the process that launched it (see ./stop.ts).
 */
export function runMain(main: (args: string[]) => Promise<number | void>): void {
  watchLauncher();
  main(Deno.args).then((code) => Deno.exit(code ?? 0), (e) => {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  });
}
