/**
 * Deterministic seeds and random streams (DESIGN.md decision 5).
 *
 * One master seed; every job and every stream inside a job derives its own seed by folding a label into
 * its parent's seed, so adding a stream never shifts the numbers of another.
 */

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/**
 * Throws unless `seed` is an integer in [0, {@link MAX_SEED}]: outside it, `seed >>> 0` would silently
 * alias another seed (2^32 and 0 give the same numbers under different config hashes).
 */
export function checkSeed(seed: number, what = "seed"): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new Error(`${what} must be an integer from 0 to ${MAX_SEED} (2^32 - 1), got ${seed}`);
  }
}

/** Folds a label (a string or an integer) into a 32-bit seed, giving the child stream's seed. */
export function foldIn(seed: number, label: string | number): number {
  checkSeed(seed);
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  const text = String(label);
  for (let i = 0; i < text.length; i++) h = mix32(h ^ text.charCodeAt(i));
  return mix32(h ^ text.length);
}

/** A 32-bit avalanche mix (the murmur3 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A small, fast, seedable generator (sfc32) whose state can be saved and restored for resumable runs.
 */
export class Rng {
  #s: Uint32Array;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    checkSeed(seed);
    this.#s = new Uint32Array([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const s = this.#s;
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0;
    s[3] = (s[3] + 1) >>> 0;
    s[0] = s[1] ^ (s[1] >>> 9);
    s[1] = (s[2] + (s[2] << 3)) >>> 0;
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0;
    s[2] = (s[2] + t) >>> 0;
    return t;
  }

  /** A uniform number in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal sample (Box-Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new Float32Array with normal samples scaled by `std`. */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The generator's state, for checkpoints. */
  state(): number[] {
    return Array.from(this.#s);
  }

  /** Restores a state saved by {@link Rng.state}. */
  static fromState(state: number[]): Rng {
    const r = new Rng(0);
    r.#s.set(state);
    return r;
  }
}
