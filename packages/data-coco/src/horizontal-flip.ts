/**
 * Horizontal flip of an augmented sample (`RandomHorizontalFlip`): image and masks mirrored,
 * joints re-indexed with the flip permutation and x' = res - 1 - x at each map size.
 */
import { COCO_FLIP_INDEX } from '@hrnet/core';

/** Mirrors a row-major interleaved image (or a 1-channel mask) in place. */
export function flipImageHorizontal<T extends Uint8Array | Float32Array>(data: T, width: number, height: number, channels = 1): T {
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width >> 1; x++) {
      const a = row + x * channels;
      const b = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) {
        const t = data[a + c];
        data[a + c] = data[b + c];
        data[b + c] = t;
      }
    }
  }
  return data;
}

/**
 * Returns the flipped joints for a `res` x `res` map: person p's joint j takes the values of joint
 * `flipIndex[j]`, then x' = res - x - 1 (y and v unchanged).
 */
export function flipJoints(
  joints: ArrayLike<number>,
  people: number,
  numJoints: number,
  res: number,
  flipIndex: readonly number[] = COCO_FLIP_INDEX,
): Float64Array {
  if (flipIndex.length !== numJoints) throw new Error(`flip index has ${flipIndex.length} entries for ${numJoints} joints`);
  const out = new Float64Array(people * numJoints * 3);
  for (let p = 0; p < people; p++) {
    for (let j = 0; j < numJoints; j++) {
      const src = (p * numJoints + flipIndex[j]) * 3;
      const dst = (p * numJoints + j) * 3;
      out[dst] = res - joints[src] - 1;
      out[dst + 1] = joints[src + 1];
      out[dst + 2] = joints[src + 2];
    }
  }
  return out;
}
