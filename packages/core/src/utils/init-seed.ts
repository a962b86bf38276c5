import { mixSeed } from './rng.js';

/**
 * Seeded initial weights. Every layer of ours draws its initial values from a seed derived from the
 * model's seed and the layer's name, `mixSeed(modelSeed, fnv1a(name))`, fixed when the layer is
 * constructed. Names are the PyTorch module paths and unique within a model, so two models built with the
 * same seed start from identical weights whatever the build order, and `--dist` ranks agree before any
 * broadcast. The model seed is set for the duration of a build by {@link withInitSeed} (model factories
 * such as `createBackbone({ seed })` do it); outside one it is {@link DEFAULT_INIT_SEED}.
 */
export const DEFAULT_INIT_SEED = 0;

let modelSeed = DEFAULT_INIT_SEED;

/** Runs `build` (synchronous model construction) with `seed` as the model seed, then restores the previous one. */
export function withInitSeed<T>(seed: number | undefined, build: () => T): T {
  if (seed === undefined) return build();
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const previous = modelSeed;
  modelSeed = seed;
  try {
    return build();
  } finally {
    modelSeed = previous;
  }
}

/** FNV-1a over the UTF-16 code units: a name's 32-bit hash. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The initializer seed of the layer named `name` in the model being built. */
export function layerSeed(name: string): number {
  return mixSeed(modelSeed, fnv1a(name));
}
