/**
 * LR sweeps that bracket the optimum (issue 14). A sweep's jobs carry a {@link SweepMember}; after they
 * finish, the grid is extended by its factor at every open edge of the basin (src/stats/basin.ts: the basin
 * reaches the grid's end, or every LR diverged) until both edges close or the scale's cap is reached.
 *
 * Extension rounds are a function of the run directories present: {@link withExtensions} lists the base
 * jobs, then, for every sweep whose jobs have all finished, the jobs one grid step beyond each open edge,
 * and again for those, so `--list-jobs` and `--shard i/N` see the same list on every machine that holds the
 * same runs. A sweep with an unfinished job does not extend yet; extension jobs come after the base jobs,
 * so the base list's positions (and shards) never move.
 */
import { analyzeBasin, type BasinPoint } from "../stats/basin.ts";
import { type JobSeed, seedLabel } from "./seeds.ts";
import type { SuiteJob } from "./types.ts";

/** What a sweep job knows about its sweep. */
export interface SweepMember {
  /** The sweep's id prefix, shared by its jobs, e.g. `lr-sweep/nanogpt-tiny/adamw`. */
  group: string;
  lr: number;
  /** Ratio of neighbouring grid LRs: an extension goes this factor beyond the grid's end. */
  factor: number;
  /** The most LRs an extension adds on each side (the scale sets it). */
  cap: number;
  /** Grid steps beyond the base grid: 0 inside it, -k k steps below, +k k steps above. */
  extension: number;
}

/** How a finished sweep job ended: its final validation loss, or null when it diverged. */
export type SweepOutcome = { loss: number | null };

/** The decimal form used in job ids (3 significant digits). */
export function fmtLr(lr: number): string {
  return Number(lr.toPrecision(3)).toString();
}

/** The id of a sweep job: `<group>/lr=<lr>/<seed label>`. */
export function sweepJobId(group: string, lr: number, seed: JobSeed): string {
  return `${group}/lr=${fmtLr(lr)}/${seedLabel(seed)}`;
}

/** The sweep jobs of `jobs` by sweep, in order of first appearance. */
function sweepGroups(jobs: readonly SuiteJob[]): Map<string, SuiteJob[]> {
  const groups = new Map<string, SuiteJob[]>();
  for (const job of jobs) {
    if (job.sweep) groups.set(job.sweep.group, [...groups.get(job.sweep.group) ?? [], job]);
  }
  return groups;
}

/**
 * The jobs one grid step beyond each open basin edge of every sweep in `jobs` whose runs have all finished
 * (`outcomeOf` returns undefined for a run that has not), within each sweep's cap. Each new job is the edge
 * job of the same seed with its LR multiplied (above) or divided (below) by the sweep's factor.
 */
export async function sweepExtensions(
  jobs: readonly SuiteJob[],
  outcomeOf: (job: SuiteJob) => Promise<SweepOutcome | undefined>,
): Promise<SuiteJob[]> {
  const groups = sweepGroups(jobs);
  const added: SuiteJob[] = [];
  for (const members of groups.values()) {
    const points: BasinPoint[] = [];
    for (const job of members) {
      const outcome = await outcomeOf(job);
      if (!outcome) break;
      points.push({ lr: job.sweep!.lr, loss: outcome.loss });
    }
    if (points.length < members.length) continue;
    const basin = analyzeBasin(points);
    const { cap } = members[0].sweep!;
    const low = members.reduce((a, j) => Math.min(a, j.sweep!.extension), 0);
    const high = members.reduce((a, j) => Math.max(a, j.sweep!.extension), 0);
    if ((basin === undefined || basin.lowEdgeOpen) && -low < cap) added.push(...beyondEdge(members, "low"));
    if (basin !== undefined && basin.highEdgeOpen && high < cap) added.push(...beyondEdge(members, "high"));
  }
  return added;
}

/** The edge jobs of a sweep (one per seed), moved one grid step further out. */
function beyondEdge(members: readonly SuiteJob[], side: "low" | "high"): SuiteJob[] {
  const pick = side === "low" ? Math.min : Math.max;
  const edgeLr = pick(...members.map((j) => j.sweep!.lr));
  return members.filter((j) => j.sweep!.lr === edgeLr).map((edge) => {
    const s = edge.sweep!;
    const lr = Number((side === "low" ? edgeLr / s.factor : edgeLr * s.factor).toPrecision(6));
    const seed: JobSeed = { seed: edge.config.seed ?? 0, dataSeed: edge.config.dataSeed };
    const extension = s.extension + (side === "low" ? -1 : 1);
    return {
      ...edge,
      id: sweepJobId(s.group, lr, seed),
      config: {
        ...edge.config,
        opt: { ...edge.config.opt, lr },
        tags: {
          ...edge.config.tags,
          lr_index: Number(edge.config.tags?.lr_index ?? 0) + extension - s.extension,
          lr_extension: extension,
        },
      },
      sweep: { ...s, lr, extension },
    };
  });
}

/** The base jobs followed by every extension round the runs present allow (see the module comment). */
export async function withExtensions(
  base: readonly SuiteJob[],
  outcomeOf: (job: SuiteJob) => Promise<SweepOutcome | undefined>,
): Promise<SuiteJob[]> {
  let jobs = [...base];
  for (;;) {
    const more = await sweepExtensions(jobs, outcomeOf);
    if (!more.length) return jobs;
    jobs = [...jobs, ...more];
  }
}

/**
 * The most extension jobs the sweeps in `jobs` can still add (each sweep extended to its cap on both sides),
 * as copies of their edge jobs: what the budget estimate counts them as.
 */
export function maxExtensionJobs(jobs: readonly SuiteJob[]): SuiteJob[] {
  const groups = sweepGroups(jobs);
  return [...groups.values()].flatMap((members) => {
    const steps = members.map((j) => j.sweep!.extension);
    const left = 2 * members[0].sweep!.cap + Math.min(0, ...steps) - Math.max(0, ...steps);
    const topLr = Math.max(...members.map((j) => j.sweep!.lr));
    const edge = members.filter((j) => j.sweep!.lr === topLr);
    return Array.from({ length: left }, () => edge).flat();
  });
}
