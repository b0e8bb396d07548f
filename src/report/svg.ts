/**
 * Server-side SVG rendering of Vega-Lite specs: compile to Vega, run a headless View (no canvas) and
 * serialise its scenegraph. Text widths are estimated, which is fine for static fallbacks and CI snapshots.
 */
import * as vegaLite from "vega-lite";
import * as vega from "vega";
import type { TopLevelSpec } from "vega-lite";

/** Renders a Vega-Lite spec to a standalone SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let compiled: vega.Spec;
  try {
    compiled = vegaLite.compile(spec).spec;
  } catch (e) {
    throw new Error(`Vega-Lite spec failed to compile: ${(e as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
