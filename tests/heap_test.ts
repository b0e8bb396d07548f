import assert from "node:assert/strict";
import { HEAP_ENV, heapPolicyFromEnv } from "../src/runtime/heap.ts";
import { openBackend } from "../src/runtime/mod.ts";

const onGlibc = Deno.build.os === "linux" && (() => {
  try {
    Deno.dlopen("libc.so.6", {}).close();
    return true;
  } catch {
    return false;
  }
})();

/** Runs `code` in a fresh Deno process with `env` and returns its stdout as JSON. */
async function child(code: string, env: Record<string, string>): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code], env, stderr: "inherit" })
    .output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("the heap policy reads LMO_HEAP, retain by default, and names the valid values on a bad one", () => {
  const before = Deno.env.get(HEAP_ENV);
  try {
    Deno.env.delete(HEAP_ENV);
    assert.equal(heapPolicyFromEnv(), "retain");
    Deno.env.set(HEAP_ENV, "release");
    assert.equal(heapPolicyFromEnv(), "release");
    Deno.env.set(HEAP_ENV, "keep");
    assert.throws(() => heapPolicyFromEnv(), /unknown LMO_HEAP "keep"; use one of: retain, release/);
  } finally {
    if (before === undefined) Deno.env.delete(HEAP_ENV);
    else Deno.env.set(HEAP_ENV, before);
  }
});

// A 64 MiB block is above glibc's largest mmap threshold: by default each malloc maps fresh pages, which the
// first write faults in (16k faults); retained, the second block reuses the first one's pages.
const REUSE = `
import { applyHeapPolicy, heapPolicyFromEnv, trimHeap } from "${new URL(
  "../src/runtime/heap.ts",
  import.meta.url,
)}";
const retained = applyHeapPolicy(heapPolicyFromEnv());
const libc = Deno.dlopen("libc.so.6", {
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  memset: { parameters: ["pointer", "i32", "usize"], result: "pointer" },
});
const faults = () => Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ")[7]);
const size = 64 * 2 ** 20;
const touch = () => { const p = libc.symbols.malloc(size); libc.symbols.memset(p, 1, size); libc.symbols.free(p); };
const rssMiB = () => Number(/VmRSS:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
touch();
const before = faults();
touch();
const held = rssMiB();
trimHeap();
console.log(JSON.stringify({ retained, faults: faults() - before, trimmedMiB: held - rssMiB() }));
`;

Deno.test({
  name:
    "a retained heap reuses a freed 64 MiB block without faulting its pages in again, and trimming frees it",
  ignore: !onGlibc,
  fn: async () => {
    type Report = { retained: boolean; faults: number; trimmedMiB: number };
    const retained = await child(REUSE, { [HEAP_ENV]: "retain" }) as Report;
    const released = await child(REUSE, { [HEAP_ENV]: "release" }) as Report;
    assert.equal(retained.retained, true);
    assert.equal(released.retained, false);
    assert.ok(released.faults >= 8_000, `release: ${released.faults} faults, expected a fresh mapping's 16k`);
    assert.ok(retained.faults < 1_000, `retain: ${retained.faults} faults, expected the freed block reused`);
    // Trimming gives the retained block back; a releasing heap had already unmapped it.
    assert.ok(
      retained.trimmedMiB >= 48,
      `retain: trimming gave back ${retained.trimmedMiB} MiB, expected 64`,
    );
    assert.ok(Math.abs(released.trimmedMiB) < 16, `release: trimming gave back ${released.trimmedMiB} MiB`);
  },
});

Deno.test({
  name: "the native backend records whether the heap retains freed memory",
  ignore: !onGlibc,
  fn: async () => {
    const info = (await openBackend("native", { threads: 1 })).info();
    assert.equal(info.retainsFreedMemory, heapPolicyFromEnv() === "retain");
  },
});
