/**
 * An optimizer's update split into parts that run one after another, so that only one part's next
 * parameters and state are in memory at once (the split step, src/train/split_step.ts).
 *
 * The parts are read off the dependencies of the update graph, built without batching (`Graph.batching`:
 * Muon's Newton-Schulz matrix by matrix, not stacked by shape). Parameters whose updates share tensors stay
 * in one group; everything else that couples parameters is a scalar (the global gradient norm of clipping,
 * Momo's inner products and step size, MuonMax's product-norm dual). The split cuts the graph at those
 * scalars: a small global graph computes them first, and each group's graph takes them as inputs. So every
 * optimizer splits, and each part computes what the whole graph computes.
 */
import { exportOnnx, type OnnxModel, peakLiveBytes, type Tensor } from "../graph/mod.ts";
import { replaceValues } from "../graph/rewrite.ts";
import type { ParamSpec } from "../contracts/params.ts";
import type { Optimizer } from "./types.ts";
import { globalNorm } from "./clip.ts";
import { DIAGNOSTIC_FIELDS, type StateSlot, UPDATE_NAMES, updateOutputs } from "./update_graph.ts";

/** Value names of a split update, besides those of {@link UPDATE_NAMES}. */
export const SPLIT_NAMES = {
  /** A scalar that couples groups: an output of the global graph, an input of the group graphs. */
  cut: (i: number) => `cut/${i}`,
  /** The global l2 norm of the raw gradients (an output of the global graph). */
  gradNorm: "grad_norm",
} as const;

/** One group of parameters and the graph that updates them. */
export interface UpdateGroup {
  /** Parameter names, in `specs` order. */
  params: string[];
  /** State slots it advances (shared ones excluded). */
  state: string[];
  /** Outputs: `next_param/`, `next_state/` and `diag/` values of its parameters (see {@link UPDATE_NAMES}). */
  model: OnnxModel;
}

/** An update split into a global graph and group graphs (see the module comment). */
export interface SplitUpdate {
  /**
   * The values that couple groups ({@link SPLIT_NAMES}.cut), the optimizer-wide scalars (`scalar/<key>`), the
   * raw gradient norm and the next values of the shared state slots. It runs first; its inputs are those of
   * the update graph it needs.
   */
  global: OnnxModel;
  groups: UpdateGroup[];
  /** Every state slot of the optimizer, as the fused step declares them. */
  state: StateSlot[];
  /**
   * State slots the global graph advances: those whose next value depends on no parameter or gradient (Adam's
   * bias corrections) and those only cut scalars read (Momo's loss model). Groups read their current value.
   */
  shared: string[];
  /** Names of the optimizer-wide scalars, in their order in the fused step. */
  scalars: string[];
  /** How many scalars the split cuts. */
  cuts: number;
  /** Peak working memory of one run of the global graph and of the largest group graph (see peakLiveBytes). */
  liveBytes: { global: number; group: number };
}

/** The names of the graph inputs `t` depends on; `stopAt` values are not entered (but are reported). */
function dependencies(t: Tensor, stopAt: (x: Tensor) => boolean = () => false) {
  const inputs = new Set<string>();
  const stops = new Set<Tensor>();
  const seen = new Set<number>();
  const stack = [t];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x.id)) continue;
    seen.add(x.id);
    if (x.op === "Input") inputs.add(String(x.attrs.name));
    else if (x !== t && stopAt(x)) stops.add(x);
    else stack.push(...x.inputs);
  }
  return { inputs, stops };
}

/** A computed scalar: where the split may cut. */
const isScalar = (t: Tensor) => t.size === 1 && t.inputs.length > 0 && t.isFloat;

/** A union-find over string keys. */
class UnionFind {
  readonly #parent = new Map<string, string>();

  find(k: string): string {
    let root = k;
    while (this.#parent.has(root)) root = this.#parent.get(root)!;
    if (root !== k) this.#parent.set(k, root);
    return root;
  }

  union(a: string, b: string): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra !== rb) this.#parent.set(rb, ra);
  }
}

/** Splits the update of `optimizer` on `specs` (see the module comment). */
export function splitUpdate(
  optimizer: Optimizer,
  specs: readonly ParamSpec[],
  dtype: "float32" | "float64" = "float32",
): SplitUpdate {
  // Unbatched: Muon's Newton-Schulz runs matrix by matrix, so each matrix can be a group of its own.
  const { outputs, state, scalars, grads } = updateOutputs(optimizer, specs, {
    dtype,
    diagnostics: true,
    batching: false,
  });
  const owner = new Map<string, string>();
  for (const s of specs) {
    owner.set(UPDATE_NAMES.param(s.name), `p:${s.name}`);
    owner.set(UPDATE_NAMES.grad(s.name), `p:${s.name}`);
  }
  const shared = sharedSlots(outputs, state, owner);
  for (const s of state) if (!shared.has(s.key)) owner.set(UPDATE_NAMES.state(s.key), `s:${s.key}`);

  // Each parameter's outputs and each unshared slot's next value, keyed by the element that owns them.
  const owned = new Map<string, Record<string, Tensor>>();
  const own = (key: string, name: string) => owned.set(key, { ...owned.get(key), [name]: outputs[name] });
  for (const s of specs) {
    own(`p:${s.name}`, UPDATE_NAMES.nextParam(s.name));
    for (const f of DIAGNOSTIC_FIELDS) own(`p:${s.name}`, UPDATE_NAMES.diagnostic(s.name, f));
  }
  for (const s of state) if (!shared.has(s.key)) own(`s:${s.key}`, UPDATE_NAMES.nextState(s.key));

  // The finest groups: linked by the tensors they share, with every computed scalar cut.
  const groups = new UnionFind();
  const reached = new Map<string, Set<Tensor>>();
  for (const [key, outs] of owned) {
    const stops = new Set<Tensor>();
    for (const t of Object.values(outs)) {
      const deps = dependencies(t, isScalar);
      for (const n of deps.inputs) if (owner.has(n)) groups.union(key, owner.get(n)!);
      for (const s of deps.stops) stops.add(s);
    }
    reached.set(key, stops);
  }
  // A scalar a group reaches stays inside it when it depends on nothing outside; otherwise it is cut. One
  // scalar (the clip coefficient) is reached by every group: its groups are worked out once.
  const rootsOf = new Map<Tensor, Set<string>>();
  const scalarRoots = (s: Tensor) => {
    if (!rootsOf.has(s)) {
      const names = [...dependencies(s).inputs].filter((n) => owner.has(n));
      rootsOf.set(s, new Set(names.map((n) => groups.find(owner.get(n)!))));
    }
    return rootsOf.get(s)!;
  };
  const cuts = new Set<Tensor>();
  for (const [key, stops] of reached) {
    const root = groups.find(key);
    for (const s of stops) if ([...scalarRoots(s)].some((r) => r !== root)) cuts.add(s);
  }

  const byRoot = new Map<string, string[]>();
  for (const key of owned.keys()) {
    const root = groups.find(key);
    byRoot.set(root, [...byRoot.get(root) ?? [], key]);
  }
  const cutList = [...cuts].sort((a, b) => a.id - b.id);
  const g = outputs[UPDATE_NAMES.nextParam(specs[0].name)].graph;
  const cutInputs = new Map(cutList.map((t, i) => [t, g.input(SPLIT_NAMES.cut(i), t.shape, t.dtype)]));
  const parts = [...byRoot.values()].map((keys) => {
    const outs = replaceValues(Object.assign({}, ...keys.map((k) => owned.get(k)!)), cutInputs);
    return {
      params: specs.map((s) => s.name).filter((n) => keys.includes(`p:${n}`)),
      state: state.map((s) => s.key).filter((k) => keys.includes(`s:${k}`)),
      outs,
    };
  });
  // Slots no parameter's update reads but through a cut scalar (Momo's loss model) advance in the global graph.
  for (const p of parts.filter((p) => p.params.length === 0)) for (const k of p.state) shared.add(k);
  const groupParts = parts.filter((p) => p.params.length > 0);

  const globalOutputs: Record<string, Tensor> = { [SPLIT_NAMES.gradNorm]: globalNorm(Object.values(grads)) };
  cutList.forEach((t, i) => (globalOutputs[SPLIT_NAMES.cut(i)] = t));
  for (const k of scalars) globalOutputs[UPDATE_NAMES.scalar(k)] = outputs[UPDATE_NAMES.scalar(k)];
  for (const k of shared) globalOutputs[UPDATE_NAMES.nextState(k)] = outputs[UPDATE_NAMES.nextState(k)];
  return {
    global: exportOnnx(globalOutputs, `${optimizer.name}-update-global`),
    groups: groupParts.map((p, i) => ({
      params: p.params,
      state: p.state,
      model: exportOnnx(p.outs, `${optimizer.name}-update-group${i}`),
    })),
    state,
    shared: [...shared],
    scalars,
    cuts: cutList.length,
    liveBytes: {
      global: peakLiveBytes(Object.values(globalOutputs)),
      group: Math.max(...groupParts.map((p) => peakLiveBytes(Object.values(p.outs)))),
    },
  };
}

/**
 * The state slots whose next value depends on no parameter or gradient (`owner` names their inputs), nor on
 * any slot that does.
 */
function sharedSlots(
  outputs: Record<string, Tensor>,
  state: readonly StateSlot[],
  owner: ReadonlyMap<string, string>,
) {
  const reads = new Map(
    state.map((s) => [s.key, dependencies(outputs[UPDATE_NAMES.nextState(s.key)]).inputs]),
  );
  const slotOf = new Map(state.map((s) => [UPDATE_NAMES.state(s.key), s.key]));
  const shared = new Set(
    state.map((s) => s.key).filter((k) => ![...reads.get(k)!].some((n) => owner.has(n))),
  );
  for (let changed = true; changed;) {
    changed = false;
    for (const k of shared) {
      if ([...reads.get(k)!].some((n) => slotOf.has(n) && !shared.has(slotOf.get(n)!))) {
        shared.delete(k);
        changed = true;
      }
    }
  }
  return shared;
}
