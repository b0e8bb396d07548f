/**
 * A small Chrome DevTools Protocol client for tests: launches the system Chromium headless, talks CDP
 * over its browser WebSocket (flattened target sessions), and records each page's console messages,
 * exceptions, log entries and network requests. No npm browser-download package is involved.
 *
 * Always call `Browser.close()` in a `finally`: it asks Chromium to exit, kills it if it does not, and
 * removes its profile directory.
 */

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** True when the Chromium binary exists (tests skip with a reason when it does not). */
export function chromiumAvailable(path = CHROMIUM_PATH): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const HEADLESS_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-extensions",
  "--remote-debugging-port=0",
];

type Json = Record<string, unknown>;
type Timer = ReturnType<typeof setTimeout>;
type Pending = { resolve: (v: Json) => void; reject: (e: Error) => void; timer: Timer; method: string };

/** One CDP WebSocket: numbered commands with timeouts, and events routed by session id. */
class CdpConnection {
  #ws: WebSocket;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Map<string, (method: string, params: Json) => void>();
  #closed: Promise<void>;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    this.#closed = new Promise((resolve) => ws.addEventListener("close", () => resolve()));
    ws.addEventListener("message", (event) => this.#onMessage(JSON.parse(event.data as string)));
    ws.addEventListener("close", () => {
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`CDP connection closed before ${p.method} answered`));
      }
      this.#pending.clear();
    });
  }

  static open(url: string): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener("open", () => resolve(new CdpConnection(ws)), { once: true });
      ws.addEventListener("error", () => reject(new Error(`cannot open the CDP WebSocket ${url}`)), {
        once: true,
      });
    });
  }

  #onMessage(msg: Json): void {
    if (typeof msg.id === "number") {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      const error = msg.error as { message?: string } | undefined;
      if (error) p.reject(new Error(`CDP ${p.method} failed: ${error.message ?? JSON.stringify(error)}`));
      else p.resolve((msg.result ?? {}) as Json);
    } else if (typeof msg.method === "string") {
      this.#listeners.get((msg.sessionId as string | undefined) ?? "")?.(
        msg.method,
        (msg.params ?? {}) as Json,
      );
    }
  }

  send(method: string, params: Json = {}, sessionId?: string, timeoutMs = 15_000): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`CDP ${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, method });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  listen(sessionId: string, handler: (method: string, params: Json) => void): void {
    this.#listeners.set(sessionId, handler);
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close();
    }
    await this.#closed;
  }
}

/** A console message, exception or log entry seen on a page. */
export interface PageMessage {
  source: "console" | "exception" | "log";
  level: string;
  text: string;
}

/** A page (tab) attached over a flattened CDP session. */
export class Page {
  /** Console calls, uncaught exceptions and browser log entries, in arrival order. */
  readonly messages: PageMessage[] = [];
  /** URLs of every network request the page made. */
  readonly requests: string[] = [];
  #cdp: CdpConnection;
  #sessionId: string;
  #waiters = new Map<string, () => void>();

  /** Use `Browser.newPage`. */
  constructor(cdp: CdpConnection, sessionId: string) {
    this.#cdp = cdp;
    this.#sessionId = sessionId;
    cdp.listen(sessionId, (method, params) => this.#onEvent(method, params));
  }

  #onEvent(method: string, params: Json): void {
    if (method === "Runtime.consoleAPICalled") {
      const args = (params.args as { value?: unknown; description?: string }[] | undefined) ?? [];
      const text = args.map((a) => a.value !== undefined ? String(a.value) : a.description ?? "").join(" ");
      this.messages.push({ source: "console", level: String(params.type), text });
    } else if (method === "Runtime.exceptionThrown") {
      const details = params.exceptionDetails as { text?: string; exception?: { description?: string } };
      this.messages.push({
        source: "exception",
        level: "error",
        text: details.exception?.description ?? details.text ?? "exception",
      });
    } else if (method === "Log.entryAdded") {
      const entry = params.entry as { level: string; text: string; url?: string };
      this.messages.push({
        source: "log",
        level: entry.level,
        text: `${entry.text}${entry.url ? ` (${entry.url})` : ""}`,
      });
    } else if (method === "Network.requestWillBeSent") {
      this.requests.push((params.request as { url: string }).url);
    }
    this.#waiters.get(method)?.();
  }

  /** Sends a CDP command to this page's session. */
  send(method: string, params: Json = {}, timeoutMs?: number): Promise<Json> {
    return this.#cdp.send(method, params, this.#sessionId, timeoutMs);
  }

  /** Navigates and resolves once the page's load event fired. */
  async navigate(url: string, timeoutMs = 15_000): Promise<void> {
    let timer: Timer | undefined;
    const loaded = new Promise<void>((resolve, reject) => {
      this.#waiters.set("Page.loadEventFired", resolve);
      timer = setTimeout(
        () => reject(new Error(`${url} did not fire its load event within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const result = await this.send("Page.navigate", { url });
      if (result.errorText) throw new Error(`navigation to ${url} failed: ${result.errorText}`);
      await loaded;
    } finally {
      clearTimeout(timer);
      this.#waiters.delete("Page.loadEventFired");
    }
  }

  /** Evaluates an expression in the page (awaiting promises) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
    const exc = r.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
    if (exc) throw new Error(`page evaluation failed: ${exc.exception?.description ?? exc.text}`);
    return (r.result as { value: T }).value;
  }

  /** Polls an expression until it is truthy; throws after `timeoutMs`. */
  async waitFor(expression: string, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.evaluate<unknown>(expression))) {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for: ${expression}`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** A PNG screenshot of a region in CSS pixels, by default the whole page (beyond the viewport). */
  async screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Uint8Array> {
    const metrics = await this.send("Page.getLayoutMetrics");
    const size = metrics.cssContentSize as { width: number; height: number };
    const region = clip ?? { x: 0, y: 0, width: Math.ceil(size.width), height: Math.ceil(size.height) };
    const shot = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { ...region, scale: 1 },
    });
    return Uint8Array.from(atob(shot.data as string), (c) => c.charCodeAt(0));
  }
}

/** A headless Chromium process and its CDP connection. */
export class Browser {
  #child: Deno.ChildProcess;
  #cdp: CdpConnection;
  #profileDir: string;
  #stderrDrained: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    cdp: CdpConnection,
    profileDir: string,
    drained: Promise<void>,
  ) {
    this.#child = child;
    this.#cdp = cdp;
    this.#profileDir = profileDir;
    this.#stderrDrained = drained;
  }

  /** Starts Chromium headless with a fresh profile and connects to its DevTools endpoint. */
  static async launch(path = CHROMIUM_PATH, timeoutMs = 20_000): Promise<Browser> {
    const profileDir = await Deno.makeTempDir({ prefix: "lmo-chromium-" });
    const child = new Deno.Command(path, {
      args: [...HEADLESS_FLAGS, `--user-data-dir=${profileDir}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const tail: string[] = [];
    let buffered = "";
    const drain = async (): Promise<void> => {
      while (!(await lines.read()).done) { /* keep the pipe flowing */ }
    };
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Chromium printed no DevTools endpoint within ${timeoutMs} ms`)),
          timeoutMs,
        );
        (async () => {
          for (;;) {
            const { value, done } = await lines.read();
            if (done) {
              throw new Error(`Chromium exited before printing its DevTools endpoint:\n${tail.join("\n")}`);
            }
            buffered += value;
            const parts = buffered.split("\n");
            buffered = parts.pop() ?? "";
            for (const line of parts) {
              tail.push(line);
              const m = line.match(/DevTools listening on (ws:\/\/\S+)/);
              if (m) return m[1];
            }
          }
        })().then(resolve, reject).finally(() => clearTimeout(timer));
      });
      const cdp = await CdpConnection.open(endpoint);
      return new Browser(child, cdp, profileDir, drain());
    } catch (e) {
      await killAndReap(child, drain());
      await Deno.remove(profileDir, { recursive: true }).catch(() => {});
      throw e;
    }
  }

  /** Opens a new tab with a fixed viewport and Runtime, Log, Network and Page events enabled. */
  async newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const { targetId } = await this.#cdp.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.#cdp.send("Target.attachToTarget", { targetId, flatten: true });
    const page = new Page(this.#cdp, sessionId as string);
    for (const domain of ["Runtime", "Log", "Network", "Page"]) await page.send(`${domain}.enable`);
    await page.send("Emulation.setDeviceMetricsOverride", {
      ...viewport,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  }

  /** Asks Chromium to exit, kills it if it has not within 5 s, and removes the profile directory. */
  async close(): Promise<void> {
    await this.#cdp.send("Browser.close", {}, undefined, 2_000).catch(() => {});
    await this.#cdp.close();
    let timer: Timer | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), 5_000)),
    ]);
    clearTimeout(timer);
    if (!exited) await killAndReap(this.#child, Promise.resolve());
    await this.#child.status;
    await this.#stderrDrained;
    await Deno.remove(this.#profileDir, { recursive: true }).catch(() => {});
  }
}

async function killAndReap(child: Deno.ChildProcess, drained: Promise<void>): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // already exited
  }
  await child.status;
  await drained;
}
