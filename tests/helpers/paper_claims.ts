/** The two paper fixtures the report judges, and a lookup of one claim by id, for tests. */
import { loadPaperClaims, type PaperClaim } from "../../src/report/claims.ts";

/** Gluon (arXiv 2505.13416). */
export const gluon = await loadPaperClaims("2505.13416");
/** Crawshaw et al. (arXiv 2510.09827). */
export const crawshaw = await loadPaperClaims("2510.09827");
/** Every claim of both fixtures, in fixture order. */
export const allClaims: PaperClaim[] = [...gluon.claims, ...crawshaw.claims];

/** The fixture claim with this id; throws when there is none. */
export function claim(id: string): PaperClaim {
  const c = allClaims.find((c) => c.id === id);
  if (!c) throw new Error(`fixture has no claim ${id}`);
  return c;
}
