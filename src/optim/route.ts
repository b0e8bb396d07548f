/**
 * Routing: parameter -> norm and lr multiplier (the route's radius). A preset gives a norm and a scale
 * per role; user rules, tried first and in order, override them by role or by parameter name:
 *
 *   --opt.route 'lm_head=sign:3000'                       name (glob: * matches any characters)
 *   --opt.route 'head=sign:3000,h.*.mlp.c_fc=spectral'    several rules; a rule without :scale keeps the
 *                                                         preset's scale for that parameter's role
 *   --opt.route '{"embedding": "colnorm:50", "bias": {"norm": "bias_rms", "scale": 8}}'
 *
 * A pattern that is a role name (hidden, conv, embedding, position, head, tied_embedding, bias, gain)
 * matches by role; any other pattern matches parameter names.
 */
import type { ParamSpec, Role } from "../contracts/params.ts";
import type { RouteRow } from "./types.ts";
import { layoutOf, NORM_NAMES, type NormName, NORMS } from "./norms.ts";

const ROLE_SET: Record<Role, true> = {
  hidden: true,
  conv: true,
  embedding: true,
  position: true,
  head: true,
  tied_embedding: true,
  bias: true,
  gain: true,
};

/** Every role, in the order of models/types.ts. */
export const ROLES = Object.keys(ROLE_SET) as Role[];

/** A norm and lr multiplier. */
export interface Route {
  norm: NormName;
  scale: number;
}

/** A preset's route for every role. */
export type RoleTable = Record<Role, Route>;

/** A user rule: parameters matching `pattern` use `norm`, with `scale` or their role's scale. */
export interface RouteRule {
  pattern: string;
  norm: NormName;
  scale?: number;
}

function parseNorm(text: string, where: string): NormName {
  if ((NORM_NAMES as string[]).includes(text)) return text as NormName;
  throw new Error(`${where}: unknown norm "${text}"; use one of: ${NORM_NAMES.join(", ")}`);
}

function parseScale(value: unknown, where: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${where}: the scale must be a positive number, got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseTarget(pattern: string, target: unknown, where: string): RouteRule {
  if (typeof target === "string") {
    const [norm, scale, ...extra] = target.split(":");
    if (extra.length) throw new Error(`${where}: write norm or norm:scale, got "${target}"`);
    return {
      pattern,
      norm: parseNorm(norm.trim(), where),
      ...(scale !== undefined && { scale: parseScale(scale, where) }),
    };
  }
  if (typeof target === "object" && target !== null && !Array.isArray(target)) {
    const { norm, scale, ...extra } = target as Record<string, unknown>;
    if (Object.keys(extra).length) {
      throw new Error(`${where}: unknown fields ${Object.keys(extra).join(", ")}; use norm and scale`);
    }
    if (typeof norm !== "string") throw new Error(`${where}: needs a "norm" string`);
    return {
      pattern,
      norm: parseNorm(norm, where),
      ...(scale !== undefined && { scale: parseScale(scale, where) }),
    };
  }
  throw new Error(
    `${where}: a target is "norm", "norm:scale" or {"norm", "scale"}, got ${JSON.stringify(target)}`,
  );
}

/** Parses user rules: `pattern=norm[:scale]` items separated by commas or semicolons, or a JSON object. */
export function parseRouteRules(text: string): RouteRule[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("{")) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`route: not valid JSON: ${(error as Error).message}`);
    }
    return Object.entries(data as Record<string, unknown>).map(([pattern, target]) =>
      parseTarget(pattern, target, `route "${pattern}"`)
    );
  }
  return trimmed.split(/[,;]/).map((item) => item.trim()).filter((item) => item !== "").map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new Error(`route: write pattern=norm or pattern=norm:scale, got "${item}"`);
    const pattern = item.slice(0, eq).trim();
    return parseTarget(pattern, item.slice(eq + 1).trim(), `route "${item}"`);
  });
}

/** Whether a rule's pattern (a role, or a glob over names) matches a parameter. */
export function ruleMatches(rule: RouteRule, spec: ParamSpec): boolean {
  if (Object.hasOwn(ROLE_SET, rule.pattern)) return spec.role === rule.pattern;
  const regex = new RegExp(
    `^${rule.pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`,
  );
  return regex.test(spec.name);
}

/**
 * The routing table: each parameter's first matching user rule, else its role's route. Throws when a rule
 * matches no parameter or a norm cannot measure a parameter's shape, naming the parameter and the fix.
 */
export function resolveRoutes(
  specs: readonly ParamSpec[],
  table: RoleTable,
  rules: readonly RouteRule[],
): RouteRow[] {
  for (const rule of rules) {
    if (!specs.some((s) => ruleMatches(rule, s))) {
      throw new Error(
        `route rule "${rule.pattern}" matches no parameter; patterns are roles (${
          ROLES.join(", ")
        }) or name globs ` +
          `over: ${specs.map((s) => s.name).join(", ")}`,
      );
    }
  }
  return specs.map((spec) => {
    const rule = rules.find((r) => ruleMatches(r, spec));
    const base = table[spec.role];
    if (!base) {
      throw new Error(
        `parameter ${spec.name} has an unknown role "${spec.role}"; roles are ${ROLES.join(", ")}`,
      );
    }
    const norm = rule?.norm ?? base.norm;
    const problem = NORMS[norm].shapeProblem(spec.shape, layoutOf(spec.role));
    if (problem) {
      const fits = NORM_NAMES.filter((n) => !NORMS[n].shapeProblem(spec.shape, layoutOf(spec.role)));
      throw new Error(
        `parameter ${spec.name} (shape [${spec.shape}], role ${spec.role}) cannot use norm ${norm}: ${problem}; ` +
          `route it to one of: ${fits.join(", ")} (e.g. --opt.route '${spec.name}=${fits[0]}')`,
      );
    }
    return {
      param: spec.name,
      shape: [...spec.shape],
      role: spec.role,
      norm,
      lrScale: rule?.scale ?? base.scale,
    };
  });
}
