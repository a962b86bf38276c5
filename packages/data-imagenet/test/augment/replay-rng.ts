import type { Rng } from '../../src/index.js';

/** One recorded draw of the fixture script: 'u' uniform [0,1), 'i' integer offset from the range's low end, 'n' normal. */
export type Draw = ['u' | 'i' | 'n', number];

/**
 * An {@link Rng} that replays the draws timm made (Python's `random`, numpy's `np.random`, torch's `normal_`)
 * in the fixture script, failing on any draw of the wrong kind, out of range, or beyond the recording.
 */
export function replayRng(draws: readonly Draw[]): Rng & { remaining(): number } {
  let i = 0;
  const take = (kind: Draw[0]): number => {
    const d = draws[i++];
    if (!d) throw new Error(`replay: draw ${i - 1} (${kind}) beyond the ${draws.length} recorded`);
    if (d[0] !== kind) throw new Error(`replay: draw ${i - 1} is '${d[0]}', the code asked for '${kind}'`);
    return d[1];
  };
  return {
    next: () => take('u'),
    uniform: (lo, hi) => lo + (hi - lo) * take('u'),
    int: (n) => {
      const k = take('i');
      if (!(k >= 0 && k < n)) throw new Error(`replay: int ${k} out of [0, ${n})`);
      return k;
    },
    normal: () => take('n'),
    remaining: () => draws.length - i,
  };
}
