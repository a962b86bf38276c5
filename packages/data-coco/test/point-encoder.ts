/**
 * A minimal keypoint encoder for the pipeline's tests (the real ones live in @hrnet/heads, which data-coco may
 * not depend on): per target size, the loss mask, a channels-last map with 1 at every labelled joint inside it,
 * and the number of such joints (int32). Workers load it through its ref like any family's encoder.
 */
import type { EncodedTargets, KeypointEncoder, KeypointEncoderRef, KeypointSample } from '@hrnet/core';

export function createPointEncoder({ sizes }: { sizes: number[] }): KeypointEncoder {
  return {
    targetSizes: sizes,
    encode(s: KeypointSample): EncodedTargets {
      const out: EncodedTargets = { masks: [], points: [], counts: [] };
      const J = s.numJoints;
      for (const { size: r, mask, joints } of s.maps) {
        const points = new Float32Array(r * r * J);
        let n = 0;
        for (let o = 0; o < joints.length; o += 3) {
          const x = Math.trunc(joints[o]);
          const y = Math.trunc(joints[o + 1]);
          if (joints[o + 2] > 0 && x >= 0 && y >= 0 && x < r && y < r) {
            points[(y * r + x) * J + ((o / 3) % J)] = 1;
            n++;
          }
        }
        out.masks.push({ data: Float32Array.from(mask), shape: [r, r] });
        out.points.push({ data: points, shape: [r, r, J] });
        out.counts.push({ data: Int32Array.of(n), shape: [1] });
      }
      return out;
    },
  };
}

export const pointEncoder = (sizes: number[]): KeypointEncoderRef => ({
  module: new URL('./point-encoder.ts', import.meta.url).href,
  exportName: createPointEncoder.name,
  options: { sizes },
});
