import { roundHalfEven } from '@hrnet/core';

/**
 * Heatmap targets of HigherHRNet (`HeatmapGenerator` / `ScaleAwareHeatmapGenerator`,
 * lib/dataset/target_generators/target_generators.py).
 *
 * Joints are a flat `Float64Array` of `people * numJoints * 3` values `[x, y, v]` in output-map
 * pixels. For every labelled joint (v > 0) at x = trunc(px), y = trunc(py) inside the map, a
 * square Gaussian patch of side ceil(6σ + 3) whose centre (index 3σ + 1) lands on (x, y) is
 * max-merged into that joint's map. The maps are `numJoints x res x res` float32, row-major.
 */

/** The reference's Gaussian patch for `sigma`: ceil(6σ+3) square, centre 3σ+1, float32 values. */
export function gaussianPatch(sigma: number): { size: number; data: Float32Array } {
  const size = Math.ceil(6 * sigma + 3);
  const c = 3 * sigma + 1;
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) data[y * size + x] = Math.exp(-((x - c) ** 2 + (y - c) ** 2) / (2 * sigma ** 2));
  }
  return { size, data };
}

function pastePatch(
  maps: Float32Array,
  res: number,
  joint: number,
  x: number,
  y: number,
  sigma: number,
  patch: { size: number; data: Float32Array },
): void {
  const ul0 = roundHalfEven(x - 3 * sigma - 1);
  const ul1 = roundHalfEven(y - 3 * sigma - 1);
  const br0 = roundHalfEven(x + 3 * sigma + 2);
  const br1 = roundHalfEven(y + 3 * sigma + 2);
  const c = Math.max(0, -ul0);
  const a = Math.max(0, -ul1);
  const cc = Math.max(0, ul0);
  const dd = Math.min(br0, res);
  const aa = Math.max(0, ul1);
  const bb = Math.min(br1, res);
  if (c + (dd - cc) > patch.size || a + (bb - aa) > patch.size) {
    // numpy would fail to broadcast here; it cannot happen for the sigmas the reference uses.
    throw new Error(`heatmap patch of side ${patch.size} does not cover [${ul0}, ${br0}) for sigma ${sigma}`);
  }
  const base = joint * res * res;
  for (let yy = aa; yy < bb; yy++) {
    const prow = (a + yy - aa) * patch.size + c - cc;
    const mrow = base + yy * res;
    for (let xx = cc; xx < dd; xx++) {
      const g = patch.data[prow + xx];
      if (g > maps[mrow + xx]) maps[mrow + xx] = g;
    }
  }
}

function* labelledInside(joints: ArrayLike<number>, people: number, numJoints: number, res: number) {
  for (let p = 0; p < people; p++) {
    for (let j = 0; j < numJoints; j++) {
      const o = (p * numJoints + j) * 3;
      if (!(joints[o + 2] > 0)) continue;
      const x = Math.trunc(joints[o]);
      const y = Math.trunc(joints[o + 1]);
      if (x < 0 || y < 0 || x >= res || y >= res) continue;
      yield { p, j, x, y };
    }
  }
}

/** `HeatmapGenerator(res, numJoints, sigma)(joints)`: one fixed sigma (2 in every published config). */
export function generateHeatmaps(
  joints: ArrayLike<number>,
  people: number,
  numJoints: number,
  res: number,
  sigma = 2,
  out?: Float32Array,
): Float32Array {
  const maps = out ?? new Float32Array(numJoints * res * res);
  if (out) maps.fill(0, 0, numJoints * res * res);
  const patch = gaussianPatch(sigma);
  for (const { j, x, y } of labelledInside(joints, people, numJoints, res)) pastePatch(maps, res, j, x, y, sigma, patch);
  return maps;
}

/**
 * `ScaleAwareHeatmapGenerator(res, numJoints)(joints)`: each person's patch uses its own sigma
 * (`sigmas[p]`, in the reference max(bbox w, h) / BASE_SIZE * BASE_SIGMA divided by aug_scale).
 */
export function generateScaleAwareHeatmaps(
  joints: ArrayLike<number>,
  sigmas: ArrayLike<number>,
  people: number,
  numJoints: number,
  res: number,
  out?: Float32Array,
): Float32Array {
  const maps = out ?? new Float32Array(numJoints * res * res);
  if (out) maps.fill(0, 0, numJoints * res * res);
  let patch: { size: number; data: Float32Array } | undefined;
  let patchSigma = NaN;
  for (const { p, j, x, y } of labelledInside(joints, people, numJoints, res)) {
    const sigma = sigmas[p];
    if (!(sigma > 0)) throw new Error(`scale-aware sigma of person ${p} must be > 0, got ${sigma}`);
    if (sigma !== patchSigma) {
      patch = gaussianPatch(sigma);
      patchSigma = sigma;
    }
    pastePatch(maps, res, j, x, y, sigma, patch!);
  }
  return maps;
}

/**
 * Per-person sigma of the scale-aware variant (`CocoKeypoints.get_joints`): max(bbox w, h) /
 * baseSize * baseSigma, optionally `int(round(sigma + 0.5))`, then divided by the augmentation's
 * aug_scale (`RandomAffineTransform`).
 */
export function scaleAwareSigma(
  bbox: ArrayLike<number>,
  augScale: number,
  { baseSize = 256, baseSigma = 2, intSigma = false }: { baseSize?: number; baseSigma?: number; intSigma?: boolean } = {},
): number {
  let sigma = (Math.max(bbox[2], bbox[3]) / baseSize) * baseSigma;
  if (intSigma) sigma = Math.trunc(roundHalfEven(sigma + 0.5));
  return sigma / augScale;
}
