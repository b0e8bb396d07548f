/**
 * The PyTorch reference of `deno task bench --compare-torch` builds the same models as our presets: for
 * every workload it covers, its trainable parameter count equals ours (skips without Debian's python3-torch).
 */
import assert from "node:assert/strict";
import { TORCH_WORKLOADS } from "../src/bench/torch.ts";
import { makeWorkload } from "../src/models/presets.ts";

const SCRIPT = new URL("../benchmarks/reference/torch_reference.py", import.meta.url).pathname;

function python(args: string[]): { ok: boolean; stdout: string; stderr: string } {
  try {
    const out = new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "piped" }).outputSync();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { ok: out.success, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch {
    return { ok: false, stdout: "", stderr: "no /usr/bin/python3" };
  }
}

const hasTorch = python(["-c", "import torch"]).ok;

Deno.test({
  name: "the PyTorch reference's models have our presets' parameter counts",
  ignore: !hasTorch,
  fn() {
    for (const workload of TORCH_WORKLOADS) {
      const out = python([SCRIPT, "--workload", workload, "--count-params"]);
      assert.ok(out.ok, out.stderr);
      const ours = makeWorkload(workload, {}).params.reduce(
        (n, p) => n + p.shape.reduce((a, b) => a * b, 1),
        0,
      );
      assert.equal(JSON.parse(out.stdout).params, ours, workload);
    }
  },
});
