/**
 * The run-directory format: Arrow stream writing and crash-tolerant reading, finalisation, resume, manifests,
 * config hashing, and (where /usr/bin/python3 has pyarrow) reading our files from Python.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Type } from "apache-arrow";
import {
  canonicalJson,
  configHash,
  createRunDir,
  defineTable,
  EVALS_TABLE,
  LAYERS_TABLE,
  type Manifest,
  readColumns,
  readManifest,
  readRows,
  readTable,
  Rng,
  type Row,
  type RunInit,
  SCHEMA_VERSION,
  SCHEMA_VERSION_KEY,
  stepsTable,
  TABLE_NAME_KEY,
  TableWriter,
  updateStatus,
  writeManifest,
} from "../src/trace/mod.ts";
import { python } from "./helpers/python.ts";

const REPO = new URL("../", import.meta.url);

/** A fresh temporary directory, removed by the returned cleanup. */
async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "lmo_trace_test_" });
}

/** Random step rows with NaN, infinities and nulls in the places a real run would have them. */
function stepRows(rng: Rng, count: number, firstStep = 0): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const step = firstStep + i;
    return {
      step,
      wall_s: step * 0.25 + rng.uniform(),
      train_loss: step === 5 ? NaN : step === 6 ? Infinity : 4 * Math.exp(-step / 10) + rng.normal() * 1e-3,
      lr: 0.02 * rng.uniform(),
      grad_norm: Math.abs(rng.normal()) * 1e3,
      momo_tau: step % 3 === 0 ? null : rng.uniform(),
    };
  });
}

/** Layer rows for `steps` steps over three named parameters, smoothness measured every other step. */
function layerRows(rng: Rng, steps: number): Row[] {
  const params = [["h.0.attn.c_q", "hidden", "spectral"], ["wte", "embedding", "colnorm"], [
    "ln_f.g",
    "gain",
    "ℓ∞",
  ]];
  return Array.from({ length: steps }).flatMap((_, step) =>
    params.map(([layer, role, norm]) => ({
      step,
      layer,
      role,
      norm,
      grad_dual: rng.uniform(),
      momentum_dual: rng.uniform(),
      update_primal: rng.uniform(),
      radius: rng.uniform() * 1e-2,
      l_hat: step % 2 === 0 ? rng.uniform() * 100 : null,
      l_hat_ns: step % 2 === 0 ? rng.uniform() * 100 : null,
      grad_dual_next: step % 2 === 0 ? rng.uniform() : null,
      grad_dual_ns: null,
    }))
  );
}

/** The rows as readRows returns them: every column present, missing nullable cells as null. */
function completed(rows: Row[], columns: readonly { name: string }[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null])));
}

/** Size of a file in bytes. */
function fileSize(path: string): number {
  return Deno.statSync(path).size;
}

Deno.test("a stream written in several flushed batches reads back exactly, with its types", async () => {
  const dir = await tempDir();
  const spec = stepsTable(["momo_tau"]);
  const rows = stepRows(new Rng(1), 30);
  const writer = await TableWriter.open(dir, spec, { flushRows: 8, flushSeconds: 3600 });
  const sizes = [fileSize(writer.path)];
  for (const row of rows) {
    writer.append(row);
    if (writer.pendingRows === 0) sizes.push(fileSize(writer.path));
  }
  assert.equal(sizes.length, 4, "30 rows at flushRows=8 flush three times during appends");
  assert.ok(sizes.every((s, i) => i === 0 || s > sizes[i - 1]), `each flush grows the file: ${sizes}`);
  assert.equal(writer.pendingRows, 6);

  const beforeClose = await readTable(dir, "steps");
  assert.equal(beforeClose.table.numRows, 24, "unflushed rows are not on disk");
  assert.equal(beforeClose.damagedTailBytes, 0);

  writer.close();
  const { table, path, damagedTailBytes } = await readTable(dir, "steps");
  assert.equal(path, `${dir}/steps.arrows`);
  assert.equal(damagedTailBytes, 0);
  assert.equal(table.batches.length, 4);
  assert.deepEqual(table.batches.map((b) => b.numRows), [8, 8, 8, 6]);
  assert.deepEqual(
    table.schema.fields.map((f) => [f.name, f.typeId, f.nullable]),
    spec.columns.map((c) => [c.name, c.type === "int32" ? Type.Int : Type.Float, c.nullable]),
  );
  assert.equal(table.schema.metadata.get(SCHEMA_VERSION_KEY), String(SCHEMA_VERSION));
  assert.equal(table.schema.metadata.get(TABLE_NAME_KEY), "steps");
  assert.deepEqual(await readRows(dir, "steps"), completed(rows, spec.columns));
  const columns = await readColumns(dir, "steps");
  assert.deepEqual(columns.grad_norm, rows.map((r) => r.grad_norm));
  assert.ok(Number.isNaN(columns.train_loss[5]) && columns.train_loss[6] === Infinity);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("utf8 columns and null smoothness cells of the long-format layers table round-trip", async () => {
  const dir = await tempDir();
  const rows = layerRows(new Rng(2), 7);
  const writer = await TableWriter.open(dir, LAYERS_TABLE, { flushRows: 5 });
  rows.forEach((row) => writer.append(row));
  writer.close();
  const { table } = await readTable(dir, "layers");
  assert.equal(table.getChild("layer")!.type.typeId, Type.Utf8);
  assert.equal(table.getChild("l_hat")!.nullCount, rows.filter((r) => r.l_hat === null).length);
  assert.deepEqual(await readRows(dir, "layers"), completed(rows, LAYERS_TABLE.columns));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a stream cut mid-batch still yields every complete batch", async () => {
  const dir = await tempDir();
  const rows = stepRows(new Rng(3), 15);
  const writer = await TableWriter.open(dir, stepsTable(["momo_tau"]), { flushRows: 5 });
  const sizes: number[] = [fileSize(writer.path)];
  for (const row of rows) {
    writer.append(row);
    if (writer.pendingRows === 0) sizes.push(fileSize(writer.path));
  }
  writer.close();
  const bytes = await Deno.readFile(writer.path);
  const [, , afterTwo, afterThree] = sizes;
  const expectTwo = completed(rows.slice(0, 10), stepsTable(["momo_tau"]).columns);
  for (const cut of [1, 4, 8, 9, 100, afterThree - afterTwo - 1]) {
    await Deno.writeFile(writer.path, bytes.subarray(0, afterTwo + cut));
    const read = await readTable(dir, "steps");
    assert.equal(read.damagedTailBytes, cut, `cut ${cut} bytes into the third batch`);
    assert.deepEqual(await readRows(dir, "steps"), expectTwo, `cut ${cut} bytes into the third batch`);
  }
  await Deno.writeFile(writer.path, bytes.subarray(0, afterThree));
  assert.equal((await readRows(dir, "steps")).length, 15, "three complete batches and no end marker");
  await Deno.writeFile(writer.path, bytes.subarray(0, sizes[0] - 3));
  const cutSchema = await readTable(dir, "steps");
  assert.equal(cutSchema.table.numRows, 0, "a stream cut inside its schema holds no rows");
  await Deno.writeFile(writer.path, new TextEncoder().encode("step,loss\n0,1.0\n"));
  await assert.rejects(readTable(dir, "steps"), /not an Arrow IPC stream/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a process killed by SIGKILL after two flushes leaves both batches readable", async () => {
  const dir = await tempDir();
  const script = `${dir}/writer.ts`;
  await Deno.writeTextFile(
    script,
    `import { Rng, stepsTable, TableWriter } from ${JSON.stringify(new URL("src/trace/mod.ts", REPO).href)};
const rng = new Rng(4);
const row = (step: number) => ({ step, wall_s: step, train_loss: rng.normal(), lr: rng.uniform(), grad_norm: 1 });
const writer = await TableWriter.open(Deno.args[0], stepsTable(), { flushRows: 1000, flushSeconds: 3600 });
const flushed = [];
for (let step = 0; step < 20; step++) {
  flushed.push(row(step));
  writer.append(flushed[step]);
  if (step === 9 || step === 19) writer.flush();
}
for (let step = 20; step < 25; step++) writer.append(row(step));
console.log(JSON.stringify(flushed));
setInterval(() => {}, 1000);
`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", new URL("deno.json", REPO).pathname, script, dir],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  child.kill("SIGKILL");
  const status = await child.status;
  await reader.cancel();
  assert.equal(status.signal, "SIGKILL");
  const flushed = JSON.parse(text);
  assert.equal(flushed.length, 20);
  assert.deepEqual(await readRows(dir, "steps"), flushed);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a table flushes on time, checked at append", async () => {
  const dir = await tempDir();
  const writer = await TableWriter.open(dir, EVALS_TABLE, { flushRows: 1000, flushSeconds: 0.02 });
  writer.append({ step: 0, split: "val", loss: 2.5, accuracy: null });
  assert.equal(writer.pendingRows, 1);
  await new Promise((resolve) => setTimeout(resolve, 40));
  writer.append({ step: 1, split: "val", loss: 2.25 });
  assert.equal(writer.pendingRows, 0);
  assert.equal(writer.rowsFlushed, 2);
  writer.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("finalize converts the stream to an Arrow IPC file and removes the stream", async () => {
  const dir = await tempDir();
  const spec = stepsTable(["momo_tau"]);
  const rows = stepRows(new Rng(5), 21);
  const writer = await TableWriter.open(dir, spec, { flushRows: 10 });
  rows.forEach((row) => writer.append(row));
  const path = await writer.finalize();
  assert.equal(path, `${dir}/steps.arrow`);
  const bytes = await Deno.readFile(path);
  const magic = new TextEncoder().encode("ARROW1");
  assert.deepEqual(bytes.subarray(0, 6), magic, "IPC file magic at the start");
  assert.deepEqual(bytes.subarray(bytes.byteLength - 6), magic, "IPC file magic at the end");
  await assert.rejects(Deno.stat(`${dir}/steps.arrows`), Deno.errors.NotFound);
  const read = await readTable(dir, "steps");
  assert.equal(read.path, path);
  assert.equal(read.table.schema.metadata.get(TABLE_NAME_KEY), "steps");
  assert.deepEqual(await readRows(dir, "steps"), completed(rows, spec.columns));

  const empty = await TableWriter.open(dir, EVALS_TABLE);
  await empty.finalize();
  const emptyRead = await readTable(dir, "evals");
  assert.equal(emptyRead.table.numRows, 0);
  assert.deepEqual(emptyRead.table.schema.fields.map((f) => f.name), EVALS_TABLE.columns.map((c) => c.name));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("resuming a table keeps the rows before the checkpoint step and appends after them", async () => {
  const dir = await tempDir();
  const spec = stepsTable(["momo_tau"]);
  const first = stepRows(new Rng(6), 12);
  const writer = await TableWriter.open(dir, spec, { flushRows: 4 });
  first.forEach((row) => writer.append(row)); // crash: never closed

  await assert.rejects(TableWriter.open(dir, spec), /already exists/);
  await assert.rejects(
    TableWriter.open(dir, stepsTable(), { resumeFromStep: 8 }),
    /has columns \[.*momo_tau/,
  );

  const again = stepRows(new Rng(7), 6, 8);
  const resumed = await TableWriter.open(dir, spec, { resumeFromStep: 8 });
  assert.equal(resumed.rowsFlushed, 8);
  again.forEach((row) => resumed.append(row));
  await resumed.finalize();
  assert.deepEqual(await readRows(dir, "steps"), completed([...first.slice(0, 8), ...again], spec.columns));

  const third = await TableWriter.open(dir, spec, { resumeFromStep: 10 });
  third.close();
  await assert.rejects(
    Deno.stat(`${dir}/steps.arrow`),
    Deno.errors.NotFound,
    "a resumed table drops its .arrow",
  );
  assert.deepEqual((await readColumns(dir, "steps")).step, Array.from({ length: 10 }, (_, i) => i));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bad rows and bad table specs get errors that name the problem", async () => {
  const dir = await tempDir();
  const writer = await TableWriter.open(dir, EVALS_TABLE);
  assert.throws(() => writer.append({ step: 0, split: "val", loss: 1, acc: 0.5 }), /no column "acc"/);
  assert.throws(() => writer.append({ step: 0, split: "val" }), /"loss" is required/);
  assert.throws(() => writer.append({ step: 0.5, split: "val", loss: 1 }), /"step" needs an integer/);
  assert.throws(() => writer.append({ step: 2 ** 31, split: "val", loss: 1 }), /Int32 range/);
  assert.throws(() => writer.append({ step: 0, split: 3, loss: 1 }), /"split" needs a utf8 value/);
  assert.equal(writer.pendingRows, 0, "rejected rows are not buffered");
  writer.close();
  assert.throws(() => writer.append({ step: 0, split: "val", loss: 1 }), /is closed/);
  assert.throws(
    () => defineTable("Smoothness", [{ name: "step", type: "int32", nullable: false }]),
    /invalid/,
  );
  assert.throws(() => stepsTable(["lr"]), /"lr" is declared twice/);
  assert.throws(
    () => defineTable("t", [{ name: "x", type: "int64" as "int32", nullable: false }]),
    /use one of int32, float64, utf8/,
  );
  await assert.rejects(readTable(dir, "smoothness"), /has no table "smoothness"/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a table declared by another module is written with no new code", async () => {
  const dir = await tempDir();
  const spec = defineTable("smoothness", [
    { name: "layer", type: "utf8", nullable: false },
    { name: "l0", type: "float64", nullable: false },
    { name: "l1", type: "float64", nullable: true },
  ]);
  const rows = [{ layer: "h.0.mlp.c_fc", l0: 1.5, l1: null }, { layer: "wte", l0: 0.25, l1: 3 }];
  const writer = await TableWriter.open(dir, spec);
  rows.forEach((row) => writer.append(row));
  await writer.finalize();
  assert.deepEqual(await readRows(dir, "smoothness"), rows);
  await Deno.remove(dir, { recursive: true });
});

/** A run's starting facts, with the config's keys in the given order. */
function runInit(config: Record<string, unknown>): RunInit {
  return {
    name: "nanogpt-tiny/muon",
    config,
    seeds: { master: 1234, data: 99, init: 7 },
    backend: { name: "native", threads: 2, versions: { ort: "1.30.0" } },
    routing: [{ param: "h.0.attn.c_q", role: "hidden", norm: "spectral", lr: 0.02 }],
  };
}

/** Files in `dir`, sorted. */
async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** HEAD and dirty flag of the repository, asked of git directly, or null when git cannot say. */
async function gitHead(): Promise<{ commit: string; dirty: boolean } | null> {
  const run = async (args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: REPO.pathname, stdout: "piped", stderr: "null" })
      .output().catch(() => null);
    return out?.success ? new TextDecoder().decode(out.stdout) : null;
  };
  const commit = await run(["rev-parse", "HEAD"]);
  const status = await run(["diff", "--name-only", "HEAD"]);
  return commit === null || status === null ? null : { commit: commit.trim(), dirty: status.trim() !== "" };
}

Deno.test("createRunDir writes the manifest whole, refuses to overwrite, and resumes only the same config", async () => {
  const root = await tempDir();
  const path = `${root}/runs/suite/muon/seed_0`;
  const config = { optimizer: { name: "muon", lr: 0.02, momentum: 0.95 }, steps: 100, model: "nanogpt-tiny" };
  const manifest = await createRunDir(path, runInit(config));
  assert.deepEqual(await listDir(`${root}/runs/suite/muon`), ["seed_0"], "no temporary sibling is left");
  assert.deepEqual(await listDir(path), ["manifest.json"]);
  const onDisk = JSON.parse(await Deno.readTextFile(`${path}/manifest.json`));
  assert.deepEqual(onDisk, manifest);
  assert.equal(manifest.schema_version, SCHEMA_VERSION);
  assert.equal(manifest.status, "running");
  assert.equal(manifest.config_hash, await configHash(config));
  assert.equal(canonicalJson(manifest.config), canonicalJson(config));
  assert.deepEqual(Object.keys(manifest.config as object), ["model", "optimizer", "steps"]);
  assert.deepEqual(manifest.runtime, {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
  });
  assert.deepEqual(manifest.git, await gitHead());
  assert.ok(Math.abs(Date.parse(manifest.started_at) - Date.now()) < 60_000);

  await assert.rejects(
    createRunDir(path, runInit(config)),
    { message: `${path} already exists; pass --resume to continue it or choose another --out` },
  );
  await assert.rejects(
    createRunDir(path, runInit({ ...config, steps: 200 }), { resume: true }),
    /holds a run of another config/,
  );
  await updateStatus(path, { status: "failed", error: "NaN in the Newton-Schulz output" });
  const reordered = {
    steps: 100,
    model: "nanogpt-tiny",
    optimizer: { momentum: 0.95, lr: 0.02, name: "muon" },
  };
  const resumed = await createRunDir(path, runInit(reordered), { resume: true });
  assert.equal(resumed.status, "running");
  assert.equal(resumed.error, null);
  assert.equal(resumed.finished_at, null);
  assert.equal(resumed.started_at, manifest.started_at);
  assert.equal(resumed.resumed_at.length, 1);

  await Deno.mkdir(`${root}/not_a_run`);
  await assert.rejects(
    createRunDir(`${root}/not_a_run`, runInit(config), { resume: true }),
    /no manifest\.json/,
  );
  await assert.rejects(createRunDir(`${root}/bad`, runInit({ lr: NaN })), /config\.lr is NaN/);
  assert.deepEqual(await listDir(root), ["not_a_run", "runs"], "a failed creation leaves nothing behind");
  await Deno.remove(root, { recursive: true });
});

Deno.test("updateStatus and writeManifest replace the manifest atomically", async () => {
  const root = await tempDir();
  const path = `${root}/run`;
  await createRunDir(path, runInit({ lr: 0.1 }));
  await assert.rejects(updateStatus(path, { status: "diverged" }), /needs diverged_step/);
  await assert.rejects(updateStatus(path, { status: "failed" }), /needs an error message/);
  await assert.rejects(updateStatus(path, { status: "exploded" as "done" }), /status "exploded" is unknown/);
  const diverged = await updateStatus(path, { status: "diverged", diverged_step: 37, wall_s: 12.5 });
  assert.equal(diverged.diverged_step, 37);
  assert.ok(diverged.finished_at !== null);
  assert.deepEqual(await readManifest(path), diverged);

  const before = await Deno.readTextFile(`${path}/manifest.json`);
  const broken = { ...diverged, wall_s: 10n } as unknown as Manifest;
  assert.throws(() => writeManifest(path, broken), /BigInt/);
  assert.equal(
    await Deno.readTextFile(`${path}/manifest.json`),
    before,
    "a failed write leaves the old manifest",
  );
  assert.deepEqual(await listDir(path), ["manifest.json"], "and no temporary file");

  await Deno.writeTextFile(`${path}/manifest.json`, JSON.stringify({ ...diverged, schema_version: 99 }));
  await assert.rejects(readManifest(path), /schema_version 99/);
  await Deno.remove(root, { recursive: true });
});

/** A nested config whose keys are inserted in a shuffled order. */
function shuffledConfig(rng: Rng): Record<string, unknown> {
  const entries: [string, unknown][] = [
    ["optimizer", { name: "gluon", l0: 0.5, l1: 2e-7, betas: [0.9, 0.95] }],
    ["schedule", { warmup: 10, kind: "cosine", floor: 0 }],
    ["10", "integer-like key"],
    ["2", "another"],
    ["batch", 32],
    ["tags", ["a", "b", { z: 1, y: null }]],
  ];
  const shuffleKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(shuffleKeys);
    if (value && typeof value === "object") {
      return Object.fromEntries(rng.shuffle(Object.entries(value).map(([k, v]) => [k, shuffleKeys(v)])));
    }
    return value;
  };
  return shuffleKeys(Object.fromEntries(entries)) as Record<string, unknown>;
}

/** Every path to a number in a JSON value, with a copy of the value whose number there is changed. */
function perturbations(value: unknown): unknown[] {
  if (typeof value === "number") return [value + 1e-9 * Math.max(1, Math.abs(value)) + 1e-12];
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => perturbations(item).map((p) => value.map((x, j) => (i === j ? p : x))));
  }
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => perturbations(v).map((p) => ({ ...value, [k]: p })));
  }
  return [];
}

/** The keys of each object in a JSON text, in the order the text writes them (a tokenizer, not JSON.parse). */
function keyOrders(text: string): string[][] {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]|[^{}[\]:,"]+/g) ?? [];
  const orders: string[][] = [];
  const open: (string[] | null)[] = [];
  tokens.forEach((token, i) => {
    if (token === "{") {
      orders.push([]);
      open.push(orders.at(-1)!);
    } else if (token === "[") open.push(null);
    else if (token === "}" || token === "]") open.pop();
    else if (token.startsWith('"') && tokens[i + 1] === ":") open.at(-1)!.push(JSON.parse(token));
  });
  return orders;
}

Deno.test("canonical JSON sorts keys at every depth and configHash is the SHA-256 of it", async () => {
  const rng = new Rng(8);
  const configs = Array.from({ length: 5 }, () => shuffledConfig(rng));
  const hashes = await Promise.all(configs.map(configHash));
  assert.equal(new Set(hashes).size, 1, "equal configs hash equal whatever their key order");
  const text = canonicalJson(configs[0]);
  assert.equal(hashes[0], createHash("sha256").update(text).digest("hex"));
  assert.match(hashes[0], /^[0-9a-f]{64}$/);
  assert.deepEqual(JSON.parse(text), configs[0], "canonical JSON round-trips");
  assert.ok(!/\s/.test(text.replace(/"[^"]*"/g, "")), "no whitespace outside strings");
  const orders = keyOrders(text);
  assert.equal(orders.length, 4, "four objects: the config, optimizer, schedule and the one in tags");
  for (const keys of orders) assert.deepEqual(keys, [...keys].sort(), "keys sorted by UTF-16 code units");
  assert.ok(text.indexOf('"10"') < text.indexOf('"2"'), "keys sort as strings, not as integers");

  const changed = perturbations(configs[0]);
  assert.ok(changed.length >= 8);
  const changedHashes = await Promise.all(changed.map(configHash));
  assert.equal(
    new Set([...changedHashes, hashes[0]]).size,
    changed.length + 1,
    "any value change changes it",
  );
  assert.notEqual(await configHash({ ...configs[0], schedule: "cosine" }), hashes[0]);
});

Deno.test("canonical JSON writes numbers in shortest round-trip form and rejects what JSON cannot hold", () => {
  // RFC 8785 section 3.2.2.3 examples of the ECMAScript number serialisation.
  assert.equal(
    canonicalJson([1e21, 1e-7, 0.000001, 333333333.3333333, -0, 5e-324]),
    "[1e+21,1e-7,0.000001,333333333.3333333,0,5e-324]",
  );
  for (const x of [0.1 + 0.2, Math.PI, 2 ** 53 + 2, 1 / 3]) assert.equal(Number(canonicalJson(x)), x);
  assert.equal(
    canonicalJson({ a: 1, b: undefined }),
    canonicalJson({ a: 1 }),
    "undefined properties are left out",
  );
  assert.throws(() => canonicalJson({ opt: { lr: Infinity } }), /config\.opt\.lr is Infinity/);
  assert.throws(() => canonicalJson({ steps: [1, undefined] }), /config\.steps\[1\] is undefined/);
  assert.throws(() => canonicalJson({ when: new Date(0) }), /config\.when is a Date/);
  assert.throws(() => canonicalJson({ n: 10n }), /config\.n is a bigint/);
});

/** Runs `code` with Debian's python3 (pyarrow is a Debian package; the pyenv python3 on PATH lacks it). */
async function pythonCode(code: string): Promise<{ ok: boolean; out: string }> {
  const { ok, stdout, stderr } = await python(["-c", code]);
  return { ok, out: ok ? stdout : stderr };
}

const pyarrowCheck = await pythonCode("import pyarrow; print(pyarrow.__version__)");
if (!pyarrowCheck.ok) {
  console.log(
    `skipping the pyarrow interop test: /usr/bin/python3 cannot import pyarrow (${
      pyarrowCheck.out.trim().split("\n").at(-1)
    })`,
  );
}

Deno.test({
  name: "pyarrow reads the finalised .arrow file and the .arrows stream",
  ignore: !pyarrowCheck.ok,
  fn: async () => {
    const dir = await tempDir();
    const rows: Row[] = stepRows(new Rng(9), 40).map((r) => ({ ...r, train_loss: (r.step as number) * 0.5 }));
    const writer = await TableWriter.open(dir, stepsTable(["momo_tau"]), { flushRows: 16 });
    rows.forEach((row) => writer.append(row));
    writer.close();
    await Deno.copyFile(`${dir}/steps.arrows`, `${dir}/copy.arrows`);
    await writer.finalize();
    const result = await pythonCode(`
import json, pyarrow.ipc as ipc
f = ipc.open_file(${JSON.stringify(`${dir}/steps.arrow`)}).read_all()
s = ipc.open_stream(${JSON.stringify(`${dir}/copy.arrows`)}).read_all()
print(json.dumps([f.num_rows, sum(f.column("train_loss").to_pylist()), s.num_rows,
  sum(x for x in s.column("momo_tau").to_pylist() if x is not None), str(f.schema.field("step").type)]))
`);
    assert.ok(result.ok, result.out);
    const [fileRows, fileSum, streamRows, tauSum, stepType] = JSON.parse(result.out);
    assert.equal(fileRows, rows.length);
    assert.equal(streamRows, rows.length);
    assert.equal(fileSum, rows.reduce((s, r) => s + (r.train_loss as number), 0));
    const tau = rows.reduce((s, r) => s + ((r.momo_tau as number | null) ?? 0), 0);
    assert.ok(Math.abs(tauSum - tau) <= 1e-12 * Math.abs(tau));
    assert.equal(stepType, "int32");
    await Deno.remove(dir, { recursive: true });
  },
});
