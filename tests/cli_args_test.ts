/**
 * Integer flags are bounded where they are parsed (src/cli/args.ts): huge, negative, fractional or
 * non-numeric counts and seeds outside 32 bits fail at the flag with the valid range, and seeds keep
 * their numbers (a valid seed derives exactly what it derived before the bound existed).
 */
import assert from "node:assert/strict";
import { INT_FLAG_RANGES, intOption } from "../src/cli/args.ts";
import { parseReproduceArgs } from "../src/cli/reproduce.ts";
import { checkSeed, foldIn, MAX_SEED, Rng } from "../src/trace/seeds.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("intOption accepts whole numbers in the flag's range and names the flag and range otherwise", () => {
  assert.equal(intOption("steps", "300"), 300);
  assert.equal(intOption("steps", undefined), undefined);
  assert.equal(intOption("seed", "4294967295"), MAX_SEED);
  assert.equal(intOption("smoothness-every", "0"), 0);
  const maxThreads = 4 * navigator.hardwareConcurrency;
  assert.equal(intOption("threads", String(maxThreads)), maxThreads);
  const cases: [string, string, RegExp][] = [
    ["steps", "1e12", /--steps must be a whole number from 1 to 10000000 \(a longer run would not end/],
    ["steps", "99999999999", /--steps must be a whole number from 1 to 10000000/],
    ["steps", "0", /--steps must be a whole number from 1/],
    ["steps", "2.5", /got "2\.5"/],
    ["steps", "-3", /got "-3"/],
    ["eval-every", "ten", /--eval-every must be a whole number from 1 to 10000000 .*, got "ten"$/],
    [
      "threads",
      "100000",
      new RegExp(`--threads must be a whole number from 1 to ${maxThreads} \\(at most 4 per core`),
    ],
    [
      "seed",
      "4294967296",
      /--seed must be a whole number from 0 to 4294967295 \(seeds are 32-bit; a larger or negative one would alias/,
    ],
    ["seed", "-1", /--seed must be a whole number from 0 to 4294967295/],
    ["data-seed", "1e3", /--data-seed must be a whole number from 0 to 4294967295/],
    ["seeds", "1001", /--seeds must be a whole number from 1 to 1000/],
  ];
  for (const [flag, value, message] of cases) {
    assert.throws(() => intOption(flag, value), message, `${flag} ${value}`);
  }
  assert.ok(Object.values(INT_FLAG_RANGES).every((r) => r.min <= r.max && Number.isSafeInteger(r.max)));
});

Deno.test("reproduce rejects --threads 100000 and --seeds 1e6 before any job starts", () => {
  assert.throws(
    () => parseReproduceArgs(["--threads", "100000"]),
    /--threads must be a whole number from 1 to/,
  );
  assert.throws(
    () => parseReproduceArgs(["--seeds", "1e6"]),
    /--seeds must be a whole number from 1 to 1000/,
  );
});

Deno.test("seeds outside 32 bits are rejected instead of aliasing; valid seeds derive what they always did", () => {
  // Before the bound, 2^32 folded to exactly seed 0's numbers and -1 to seed 2^32 - 1's.
  assert.throws(
    () => foldIn(2 ** 32, "data/train"),
    /seed must be an integer from 0 to 4294967295 \(2\^32 - 1\), got 4294967296/,
  );
  assert.throws(() => foldIn(-1, "init/wte"), /got -1/);
  assert.throws(() => new Rng(2 ** 32), /got 4294967296/);
  assert.throws(() => checkSeed(0.5), /got 0\.5/);
  // Values of the unbounded implementation (main before this change), for seeds in range.
  assert.equal(foldIn(0, "data/train"), 2819744288);
  assert.equal(foldIn(MAX_SEED, "init/wte"), 2804986783);
  assert.equal(new Rng(7).nextUint32(), 191098398);
  assert.equal(new Rng(MAX_SEED).nextUint32(), 683205247);
});

Deno.test("deno task run --steps 1e12 fails at once with the flag's range, and demo --hidden 1e9 too", async () => {
  for (
    const [args, message] of [
      [
        ["src/cli/run.ts", "--workload", "nanogpt-tiny", "--optimizer", "adamw", "--steps", "1e12"],
        /--steps must be a whole number from 1 to 10000000/,
      ],
      [
        ["src/cli/run.ts", "--workload", "nanogpt-tiny", "--optimizer", "adamw", "--seed", "4294967296"],
        /--seed must be a whole number from 0 to 4294967295/,
      ],
      [["src/cli/demo.ts", "--hidden", "1e9"], /--hidden must be a whole number from 1 to 16384/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...args],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, message);
  }
});
