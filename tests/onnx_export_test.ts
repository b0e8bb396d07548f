/** Exported step graphs are standard ONNX: they pass the reference checker (Debian's python3-onnx) with full checks. */
import assert from "node:assert/strict";
import { makeWorkload } from "../src/models/presets.ts";
import { makeOptimizer } from "../src/optim/mod.ts";
import { buildStepGraph } from "../src/train/step.ts";
import { withTempDir } from "./helpers/temp.ts";

const PYTHON = "/usr/bin/python3";
const probe = await new Deno.Command(PYTHON, { args: ["-c", "import onnx"], stdout: "null", stderr: "null" }).output()
  .catch(() => ({ success: false }));
const reason = probe.success ? "" : "needs Debian's python3-onnx (apt-get install python3-onnx) for onnx.checker";
if (reason) console.log(`skipping the ONNX checker test: ${reason}`);

Deno.test({
  name: "step graphs of every tiny workload pass onnx.checker.check_model(full_check=True)",
  ignore: !probe.success,
  fn: () =>
    withTempDir(async (dir) => {
      const cases: [string, string][] = [["nanogpt-tiny", "muon-adam"], ["nanogpt-tiny-modded", "uscion"], ["cnn-tiny", "muonmax-momo"]];
      for (const [w, o] of cases) {
        const path = `${dir}/${w}-${o}.onnx`;
        const step = buildStepGraph(makeWorkload(w, { batch: 2 }), makeOptimizer(o));
        await Deno.writeFile(path, step.model.bytes);
        const out = await new Deno.Command(PYTHON, {
          args: ["-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(len(m.graph.node))", path],
        }).output();
        assert.ok(out.success, `${w}/${o}: ${new TextDecoder().decode(out.stderr)}`);
        assert.equal(Number(new TextDecoder().decode(out.stdout)), step.model.nodeCount);
      }
    }),
});
