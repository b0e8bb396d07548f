/**
 * The backstop of watchdog.ts, run as a Worker: after the time it is given it prints the message and ends
 * the process, whose main thread is then blocked inside an engine (else the main thread's own timer would
 * have fired and terminated this Worker). Ending another thread's process needs --allow-run; without it the
 * message says so.
 */
/// <reference lib="deno.worker" />

/** What the main thread sends when it arms the backstop. */
interface Arm {
  ms: number;
  message: string;
  pid: number;
}

self.onmessage = (event: MessageEvent<Arm>) => {
  const { ms, message, pid } = event.data;
  setTimeout(() => {
    const canKill = Deno.permissions.querySync({ name: "run" }).state === "granted";
    const ending = canKill
      ? "The main thread is blocked inside the engine, so the process is ended."
      : "The main thread is blocked inside the engine; end the process (Ctrl-C), and grant --allow-run so " +
        "the watchdog can end it next time.";
    Deno.stderr.writeSync(new TextEncoder().encode(`error: ${message} ${ending}\n`));
    if (canKill) Deno.kill(pid, "SIGKILL");
  }, ms);
};
