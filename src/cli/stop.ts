/**
 * Stopping cleanly: SIGINT and SIGTERM, or the death of the process that launched this one, abort one
 * AbortSignal that the training loop checks between steps (it then flushes its tables, saves a checkpoint
 * and marks the run "interrupted"). A second signal, 2 s or more after the first, exits at once. A signal
 * this process started with ignored (`nohup`, a background job of a script) stays ignored.
 *
 * The launcher watch exists because the npm `deno` shim (node_modules/deno/bin.cjs) runs the real deno
 * binary with `child_process.spawnSync` and forwards no signal: killing the command the user launched
 * (`npx deno task ...`, node) leaves `deno task` and this process running. So on Linux this process
 * notes its chain of deno and node ancestors at start and ends (or, training, stops cleanly) when any of
 * them is gone.
 */

/** Why a run was asked to stop, and the exit code that reports it (128 + signal number). */
export interface StopReason {
  reason: string;
  exitCode: number;
}

const SIGNALS: [Deno.Signal, number][] = [["SIGINT", 2], ["SIGTERM", 15]];
const LAUNCHERS = new Set(["deno", "node", "npx", "npm"]);
const WATCH_MS = 500;
const REPEAT_MS = 2000;

/** Whether signal `number` was ignored when this process started (Linux: /proc/self/status SigIgn). */
function ignoredAtStart(number: number): boolean {
  try {
    const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
    return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(number - 1)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** One /proc entry's command name, parent pid and start time (null when the process is gone). */
function procStat(pid: number): { comm: string; ppid: number; start: string } | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  // Format: pid (comm) state ppid ... with starttime the 22nd field; comm may hold spaces and parentheses.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  return { comm, ppid: Number(fields[1]), start: fields[19] };
}

/**
 * The deno/node processes this one descends from through deno/node parents only (the npm shim, `deno
 * task`), with their start times, so that a reused pid is not taken for the launcher. Empty off Linux.
 */
export function launcherChain(): { pid: number; comm: string; start: string }[] {
  const chain: { pid: number; comm: string; start: string }[] = [];
  let pid = Deno.build.os === "linux" ? (procStat(Deno.pid)?.ppid ?? 0) : 0;
  while (pid > 1) {
    const stat = procStat(pid);
    if (!stat || !LAUNCHERS.has(stat.comm)) break;
    chain.push({ pid, comm: stat.comm, start: stat.start });
    pid = stat.ppid;
  }
  return chain;
}

/** What the launcher watch does when a launcher ends: exit, unless {@link stopOnSignals} made it stop cleanly. */
let onLauncherEnd = (reason: StopReason): void => {
  console.error(`\n${reason.reason}: exiting`);
  Deno.exit(reason.exitCode);
};
let watching = false;

/**
 * Ends this process when one of its deno/node launchers ends (see the module comment), so that no command
 * outlives the one the user killed. Every command starts it (src/cli/args.ts runMain); training commands
 * turn the exit into a clean stop with {@link stopOnSignals}.
 */
export function watchLauncher(): void {
  if (watching) return;
  watching = true;
  const chain = launcherChain();
  if (!chain.length) return;
  const timer = setInterval(() => {
    const gone = chain.find((p) => procStat(p.pid)?.start !== p.start);
    if (!gone) return;
    clearInterval(timer);
    onLauncherEnd({ reason: `the launching process ${gone.pid} (${gone.comm}) ended`, exitCode: 128 + 15 });
  }, WATCH_MS);
  Deno.unrefTimer(timer);
}

let installed: { signal: AbortSignal; reason: () => StopReason | null } | null = null;

/**
 * Installs the handlers once per process and returns the stop signal and a function giving the reason once
 * stopped (see the module comment).
 */
export function stopOnSignals(): { signal: AbortSignal; reason: () => StopReason | null } {
  if (installed) return installed;
  const controller = new AbortController();
  let why: StopReason | null = null;
  let stoppedAt = 0;
  const stop = (reason: StopReason) => {
    if (why) {
      // Ctrl-C reaches this process twice at once: from the terminal and forwarded by `deno task`.
      if (performance.now() - stoppedAt < REPEAT_MS) return;
      console.error(`\n${reason.reason} again: exiting now`);
      Deno.exit(why.exitCode);
    }
    why = reason;
    stoppedAt = performance.now();
    console.error(`\n${reason.reason}: stopping after the current step (send it again to exit now)`);
    controller.abort(reason.reason);
  };
  // Read before any listener exists: Deno's first signal listener resets every ignored disposition, so an
  // ignored signal gets a listener that keeps ignoring it.
  const ignored = SIGNALS.map(([, number]) => ignoredAtStart(number));
  for (const [i, [name, number]] of SIGNALS.entries()) {
    if (Deno.build.os === "windows" && name !== "SIGINT") continue;
    Deno.addSignalListener(
      name,
      ignored[i] ? () => {} : () => stop({ reason: `received ${name}`, exitCode: 128 + number }),
    );
  }
  onLauncherEnd = stop;
  watchLauncher();
  installed = { signal: controller.signal, reason: () => why };
  return installed;
}
