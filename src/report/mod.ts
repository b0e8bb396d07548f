/**
 * Reports: paper claims and verdicts, Vega-Lite chart builders, server-side SVG and self-contained HTML.
 */
export * from "./claims.ts";
export * from "./verdicts.ts";
export * from "./charts.ts";
export * from "./svg.ts";
export * from "./html.ts";
export * from "./assemble.ts";
export * from "./measure.ts";
export * from "./sections.ts";
