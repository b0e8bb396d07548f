/**
 * A one-line progress bar with ETA for long work, drawn on stderr only when it is a terminal
 * (quiet in CI logs and pipes).
 */

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "?";
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** Formats a rate compactly: 950, 12.3k, 4.1M. */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return "?";
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** A progress bar for `total` units of work; `update` redraws at most every 100 ms. */
export class ProgressBar {
  readonly #enabled: boolean;
  readonly #start = performance.now();
  #lastDraw = 0;
  #done = 0;
  #startDone: number | null = null;

  /** @param label shown before the bar; @param enabled draw at all (default: stderr is a terminal) */
  constructor(readonly label: string, readonly total: number, enabled = Deno.stderr.isTerminal()) {
    this.#enabled = enabled;
  }

  /** Sets progress to `done` units with an optional status text (loss, throughput...). */
  update(done: number, status = ""): void {
    this.#startDone ??= done;
    this.#done = done;
    const now = performance.now();
    if (!this.#enabled || (now - this.#lastDraw < 100 && done < this.total)) return;
    this.#lastDraw = now;
    Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[2K${this.line(status)}`));
  }

  /**
   * Sets progress as `update` does, and where no bar is drawn (stderr is not a terminal) prints the line once
   * to stderr: for work whose units take minutes, so that a log shows how far it got and how long is left.
   */
  log(done: number, status = ""): void {
    this.update(done, status);
    if (!this.#enabled) console.error(this.line(status));
  }

  /** The text of the bar: label, bar, count, percentage, status, elapsed and ETA. */
  line(status = ""): string {
    const frac = this.total ? Math.min(1, this.#done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (performance.now() - this.#start) / 1000;
    const rate = (this.#done - (this.#startDone ?? 0)) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (this.total - this.#done) / rate : NaN;
    const bar = "#".repeat(filled) + ".".repeat(width - filled);
    return `${this.label} [${bar}] ${this.#done}/${this.total} ${(frac * 100).toFixed(0)}% ${status} ` +
      `${formatDuration(elapsed)} elapsed, ETA ${formatDuration(eta)}`;
  }

  /** Clears the bar's line. */
  finish(): void {
    if (this.#enabled) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
  }
}
