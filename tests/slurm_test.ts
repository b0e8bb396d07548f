/**
 * The Slurm path of docs/scale-out.md, for real: `deno task reproduce` runs as a Slurm array of shards
 * (scripts/slurm/lmo-bench-array.sbatch), one dependent job merges them with `deno task report`, and the
 * merged runs and report must equal an unsharded local reproduce of the same selection.
 *
 * Slurm is the cluster SLURM_CONF names when it is set, else a private single-node cluster this test starts
 * and stops (scripts/slurm/local-cluster.sh, on ports off Slurm's defaults). The test is ignored, with the
 * reason printed, where neither can run: Slurm or munge not installed, not root, munge broken.
 *
 * The selection is `--scale tiny --suite step-time --seeds 1 --threads 1` (1 interleaved timing job, seconds;
 * LMO_SLURM_TEST_SUITE=gluon-vs-tuned picks the suite whose shards need another shard's fit, about 5x slower).
 * The array has one task more than there are jobs, so its last shard is empty and must succeed too.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { findRunDirs } from "../src/report/assemble.ts";
import { readColumns } from "../src/trace/arrow_read.ts";
import { pathExists } from "../src/trace/fs_util.ts";
import { readManifest } from "../src/trace/run_dir.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
const CLUSTER_SCRIPT = `${REPO}/scripts/slurm/local-cluster.sh`;
const ARRAY_SCRIPT = `${REPO}/scripts/slurm/lmo-bench-array.sbatch`;
const DENO = `${REPO}/node_modules/.bin/deno`;
/** One thread per run and one CPU per array task, so that the shards and the local run share configs. */
const THREADS = 1;
const SELECTION = [
  ...["--scale", "tiny", "--suite", Deno.env.get("LMO_SLURM_TEST_SUITE") ?? "step-time"],
  ...["--seeds", "1", "--threads", String(THREADS)],
];
/** Ports of the private cluster, off Slurm's defaults so that a system Slurm on this host is left alone. */
const PRIVATE_PORTS = { LMO_SLURM_CTLD_PORT: "16817", LMO_SLURM_D_PORT: "16818" };
/** Every command and Slurm job gets this long (Slurm kills jobs at --time, in minutes). */
const TIMEOUT_MINUTES = 30;

/** What a finished command left. */
interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository root with extra environment variables. */
async function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const out = await new Deno.Command(command, {
    args,
    env,
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MINUTES * 60_000),
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Runs a command that must succeed; its output goes into the failure message. */
async function mustRun(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await run(command, args, env);
  assert.equal(r.code, 0, `${command} ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The SLURM_CONF of the cluster to use (null: start a private one), or why no Slurm can run here (null when
 * one can). Decided before the test is registered, so that a skip shows as "ignored".
 */
async function chooseCluster(): Promise<{ conf: string | null; skip: string | null }> {
  const conf = Deno.env.get("SLURM_CONF");
  if (conf) {
    if (!pathExists(conf)) return { conf, skip: `SLURM_CONF=${conf} is set, but there is no such file` };
    const why = `SLURM_CONF=${conf} is set, but sinfo does not answer`;
    try {
      const r = await run("sinfo", ["--noheader", "--format=%T"]);
      return { conf, skip: r.code === 0 && r.stdout.trim() ? null : `${why}: ${r.stderr.trim()}` };
    } catch (error) {
      return { conf, skip: `${why}: ${(error as Error).message}` };
    }
  }
  const check = await run("bash", [CLUSTER_SCRIPT, "check"]);
  return { conf: null, skip: check.code === 0 ? null : (check.stdout + check.stderr).trim() };
}

const cluster = await chooseCluster();
if (cluster.skip !== null) console.log(`slurm_test: ignored, Slurm cannot run here: ${cluster.skip}`);

/** A word for a POSIX shell command line. */
function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Submits a batch job and waits for it (arrays: all tasks); returns its id, or fails showing the logs. */
async function sbatchWait(args: string[], env: Record<string, string>, logs: string): Promise<string> {
  const r = await run("sbatch", [
    "--parsable",
    "--wait",
    `--chdir=${REPO}`,
    `--time=${TIMEOUT_MINUTES}`,
    ...args,
  ], env);
  if (r.code !== 0) {
    const texts = [];
    for await (const e of Deno.readDir(logs)) {
      texts.push(`--- ${e.name}\n${await Deno.readTextFile(`${logs}/${e.name}`)}`);
    }
    assert.fail(`sbatch ${args.join(" ")} exited ${r.code}: ${r.stderr}\n${texts.join("\n")}`);
  }
  return r.stdout.trim().split(";")[0];
}

/** Config hash -> the run directories under `root` that hold a run of it, each with its status. */
async function runsByHash(root: string): Promise<Map<string, { dir: string; status: string }[]>> {
  const byHash = new Map<string, { dir: string; status: string }[]>();
  for (const dir of await findRunDirs([root])) {
    const m = await readManifest(dir);
    byHash.set(m.config_hash, [...(byHash.get(m.config_hash) ?? []), { dir, status: m.status }]);
  }
  return byHash;
}

/**
 * The verdicts of a report's verdicts.json as data, except the claims measured from wall times (step times),
 * which differ between any two runs. Holm's adjusted p and the verdict it decides are left out too: the
 * family includes the timing claims' p-values.
 */
async function comparableVerdicts(reportDir: string): Promise<unknown[]> {
  const records = JSON.parse(await Deno.readTextFile(`${reportDir}/verdicts.json`)) as Record<string, unknown>[];
  assert.ok(records.length > 0, `${reportDir}/verdicts.json holds no claim`);
  return records
    .filter((r) => !String(r.id).startsWith("crawshaw.timing."))
    .map(({ id, effect, ci, p, n, method, scale }) => ({ id, effect, ci, p, n, method, scale }));
}

Deno.test({
  name: "slurm: a reproduce array job plus a merge job equals an unsharded local reproduce",
  ignore: cluster.skip !== null,
  async fn() {
    const reports = `${REPO}/reports`;
    await Deno.mkdir(reports, { recursive: true });
    // Under the repository, which any node that can run the repository's Deno also sees.
    const tmp = await Deno.makeTempDir({ dir: reports, prefix: "slurm-test-" });
    const privateDir = cluster.conf === null ? await Deno.makeTempDir({ prefix: "lmo-slurm-" }) : null;
    const env = { SLURM_CONF: cluster.conf ?? `${privateDir}/slurm.conf` };
    try {
      if (privateDir) {
        await mustRun("bash", [CLUSTER_SCRIPT, "start"], { LMO_SLURM_DIR: privateDir, ...PRIVATE_PORTS });
      }
      const listed = (await mustRun(DENO, ["task", "reproduce", ...SELECTION, "--list-jobs"]))
        .trim().split("\n").map((line) => JSON.parse(line) as { position: number; config_hash: string });
      const shards = listed.length + 1;
      const out = `${tmp}/sharded`;
      const logs = `${tmp}/logs`;
      await Deno.mkdir(logs);

      const arrayId = await sbatchWait(
        [
          `--array=0-${shards - 1}`,
          `--cpus-per-task=${THREADS}`,
          `--output=${logs}/shard-%a.log`,
          ARRAY_SCRIPT,
        ],
        { ...env, LMO_OUT: out, LMO_ARGS: SELECTION.join(" "), LMO_REPO: REPO },
        logs,
      );
      const merged = `${tmp}/merged-report`;
      await sbatchWait(
        [
          `--dependency=afterok:${arrayId}`,
          `--output=${logs}/merge.log`,
          `--wrap=${shellWord(DENO)} task report ${shellWord(out)} --out ${shellWord(merged)}`,
        ],
        env,
        logs,
      );

      // Every task ran its shard; with one shard more than jobs, shard i holds job i and the last none.
      for (let i = 0; i < shards; i++) {
        const log = await Deno.readTextFile(`${logs}/shard-${i}.log`);
        assert.ok(log.includes(`lmo-bench shard ${i}/${shards} `), `shard ${i} did not run:\n${log}`);
        const shardDir = `${out}/shard-${i}-of-${shards}`;
        const shardRuns = pathExists(shardDir) ? await runsByHash(shardDir) : new Map();
        if (i < listed.length) {
          assert.ok(shardRuns.has(listed[i].config_hash), `shard ${i} lacks job ${i}:\n${log}`);
        } else assert.equal(shardRuns.size, 0, `the empty shard ${i} wrote runs`);
      }

      const local = `${tmp}/local`;
      await mustRun(DENO, ["task", "reproduce", ...SELECTION, "--out", local]);

      const shardedRuns = await runsByHash(out);
      const localRuns = await runsByHash(local);
      const expected = listed.map((j) => j.config_hash).sort();
      assert.deepEqual([...shardedRuns.keys()].sort(), expected, "the shards ran exactly the listed jobs");
      assert.deepEqual([...localRuns.keys()].sort(), expected, "the local run ran exactly the listed jobs");
      for (const hash of expected) {
        const [reference] = localRuns.get(hash)!;
        assert.equal(reference.status, "done", `local run ${reference.dir}`);
        // A training run is compared by its losses; the timing run of step-time by its sample order (its
        // times are wall-clock and differ).
        const [table, column] = pathExists(`${reference.dir}/timings.arrow`)
          ? ["timings", "variant"]
          : ["steps", "train_loss"];
        const lossLocal = (await readColumns(reference.dir, table))[column];
        assert.ok(lossLocal.length > 0, `local run ${reference.dir} logged no ${column}`);
        // Shards that needed another shard's fit ran that job again: every copy must be the same run.
        for (const copy of shardedRuns.get(hash)!) {
          assert.equal(copy.status, "done", `sharded run ${copy.dir}`);
          assert.deepEqual((await readColumns(copy.dir, table))[column], lossLocal, `${column} of ${copy.dir}`);
        }
      }
      assert.deepEqual(await comparableVerdicts(merged), await comparableVerdicts(local));
    } finally {
      if (privateDir) {
        await run("bash", [CLUSTER_SCRIPT, "stop"], { LMO_SLURM_DIR: privateDir });
        if (pathExists(privateDir)) await Deno.remove(privateDir, { recursive: true });
      }
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
