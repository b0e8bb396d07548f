/**
 * The PyTorch reference of `deno task bench --compare-torch` builds the same models as our presets: for
 * every workload it covers, its trainable parameter count equals ours (skips without Debian's python3-torch).
 */
import assert from "node:assert/strict";
import { TORCH_WORKLOADS } from "../src/bench/torch.ts";
import { sizeOf } from "../src/graph/mod.ts";
import { makeWorkload } from "../src/models/presets.ts";
import { python } from "./helpers/python.ts";

const SCRIPT = new URL("../benchmarks/reference/torch_reference.py", import.meta.url).pathname;

const hasTorch = (await python(["-c", "import torch"])).ok;

Deno.test({
  name: "the PyTorch reference's models have our presets' parameter counts",
  ignore: !hasTorch,
  async fn() {
    for (const workload of TORCH_WORKLOADS) {
      const out = await python([SCRIPT, "--workload", workload, "--count-params"]);
      assert.ok(out.ok, out.stderr);
      const ours = makeWorkload(workload, {}).params.reduce((n, p) => n + sizeOf(p.shape), 0);
      assert.equal(JSON.parse(out.stdout).params, ours, workload);
    }
  },
});
