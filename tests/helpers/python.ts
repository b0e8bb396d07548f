/** Runs Debian's /usr/bin/python3 (its python3-torch, -onnx and -pyarrow; a python3 on PATH may lack them). */

/** What a run of /usr/bin/python3 gave: success, and its trimmed stdout and stderr (the error when it cannot start). */
export interface PythonResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs /usr/bin/python3 with `args`; never throws. */
export async function python(args: string[]): Promise<PythonResult> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    return { ok: out.success, stdout: text(out.stdout), stderr: text(out.stderr) };
  } catch (error) {
    return { ok: false, stdout: "", stderr: String(error) };
  }
}
