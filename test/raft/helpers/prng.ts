import { prng } from '../../helpers/prng';

/** A small seeded PRNG (mulberry32, test/helpers/prng) for reproducible randomized tests. */
export class Prng {
  private readonly float: () => number;

  constructor(seed: number) {
    this.float = prng(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.float();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}
