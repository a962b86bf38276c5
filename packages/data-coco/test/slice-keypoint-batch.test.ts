import { describe, expect, it } from 'vitest';
import { keypointBatchSlicer, type KeypointBatch } from '../src/index.js';

/** A batch of 3 whose every value names its sample (sample i holds i+1): slices show which samples they hold. */
function batch(): KeypointBatch {
  const fill = <T extends Float32Array | Int32Array>(a: T, per: number): T => a.map((_, k) => Math.floor(k / per) + 1) as T;
  return {
    size: 3,
    indices: [7, 8, 9],
    imageIds: [70, 80, 90],
    images: fill(new Float32Array(3 * 4 * 4 * 3), 48),
    imageShape: [3, 4, 4, 3],
    targets: {
      heatmaps: [{ data: fill(new Float32Array(3 * 2 * 2 * 5), 20), shape: [3, 2, 2, 5] }],
      joints: [{ data: fill(new Int32Array(3 * 6 * 2), 12), shape: [3, 6, 2] }],
    },
    params: [{ a: 1 }, { a: 2 }, { a: 3 }] as unknown as KeypointBatch['params'],
  };
}

describe('keypointBatchSlicer (micro-batches of a pose batch)', () => {
  it('cuts every image, target and per-sample field along the batch axis', () => {
    const b = batch();
    expect(keypointBatchSlicer.count(b)).toBe(3);
    const s = keypointBatchSlicer.slice(b, 1, 3);
    expect(s.size).toBe(2);
    expect(s.indices).toEqual([8, 9]);
    expect(s.imageIds).toEqual([80, 90]);
    expect(s.params).toEqual([{ a: 2 }, { a: 3 }]);
    expect(s.imageShape).toEqual([2, 4, 4, 3]);
    expect([...new Set(s.images)]).toEqual([2, 3]);
    expect(s.images.length).toBe(2 * 48);
    expect(s.targets.heatmaps[0].shape).toEqual([2, 2, 2, 5]);
    expect([...new Set(s.targets.heatmaps[0].data)]).toEqual([2, 3]);
    expect(s.targets.joints[0].data).toBeInstanceOf(Int32Array);
    expect([...s.targets.joints[0].data.slice(0, 12)]).toEqual(Array(12).fill(2));
    expect(() => keypointBatchSlicer.slice(b, 2, 4)).toThrow(/\[2, 4\) are not in a batch of 3/);
  });
});
