/**
 * The PyTorch reference of `deno task bench --compare-torch` builds the same models as our presets: for
 * every workload it covers, its trainable parameter count equals ours, and its thread count holds for its
 * BLAS too (both skip without Debian's python3-torch).
 */
import assert from "node:assert/strict";
import {
  isDir,
  OPENMP_BLAS_DIR,
  referenceEnv,
  runTorchReference,
  SHARED_POOL_BLAS,
  TORCH_WORKLOADS,
} from "../src/bench/torch.ts";
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

Deno.test("the reference runs on the OpenMP build of OpenBLAS where it is installed, ahead of any library path", () => {
  const dir = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
  const has = (d: string) => d === dir;
  assert.deepEqual(referenceEnv({ HOME: "/root" }, has, dir), { HOME: "/root", LD_LIBRARY_PATH: dir });
  assert.equal(referenceEnv({ LD_LIBRARY_PATH: "/opt/lib" }, has, dir).LD_LIBRARY_PATH, `${dir}:/opt/lib`);
  assert.deepEqual(referenceEnv({ LD_LIBRARY_PATH: "/opt/lib" }, () => false, dir), {
    LD_LIBRARY_PATH: "/opt/lib",
  });
});

Deno.test({
  name: "the reference's thread count holds for OpenBLAS, and it reports the BLAS and the cores it kept busy",
  ignore: !hasTorch,
  async fn() {
    const openmp = isDir(OPENMP_BLAS_DIR);
    for (const threads of [1, 2]) {
      const [row] = await runTorchReference("cnn-tiny", ["adamw"], threads, 1);
      assert.equal(row.threads, threads);
      if (row.blas.startsWith("OpenBLAS")) assert.equal(row.blas_threads, threads, row.blas);
      if (openmp) assert.equal(row.blas, SHARED_POOL_BLAS);
      assert.ok(row.cores > 0 && Number.isFinite(row.cores), `cores ${row.cores}`);
    }
  },
});
