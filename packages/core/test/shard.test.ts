import { describe, expect, it } from 'vitest';
import { checkShard, shardBatches } from '../src/index.js';

const order = Int32Array.from([7, 3, 9, 0, 5, 1, 8, 2, 6, 4]);

describe('shardBatches', () => {
  it('without a shard: the global batches, the last one kept unless dropLast', () => {
    expect(shardBatches(order, 4).map((b) => [...b])).toEqual([[7, 3, 9, 0], [5, 1, 8, 2], [6, 4]]);
    expect(shardBatches(order, 4, { dropLast: true }).map((b) => [...b])).toEqual([[7, 3, 9, 0], [5, 1, 8, 2]]);
  });

  it('the ranks\' slices of each global batch are contiguous, disjoint and together the unsharded batch', () => {
    for (const worldSize of [2, 3]) {
      const slices = Array.from({ length: worldSize }, (_, rank) => shardBatches(order, 4, { shard: { rank, worldSize } }));
      shardBatches(order, 4).forEach((global, i) => expect(slices.flatMap((s) => [...s[i]])).toEqual([...global]));
    }
    expect([...shardBatches(order, 4, { shard: { rank: 1, worldSize: 2 } })[0]]).toEqual([9, 0]);
    // 3 ranks over 4 images: floor(r * 4 / 3) boundaries 0, 1, 2, 4
    expect(shardBatches(order, 4, { shard: { rank: 2, worldSize: 3 } }).map((b) => [...b])).toEqual([[9, 0], [8, 2], [4]]);
  });

  it('checkShard names the caller and the bad values', () => {
    expect(() => checkShard({ rank: 2, worldSize: 2 }, 'BatchLoader')).toThrow('BatchLoader: shard needs 0 <= rank < worldSize, got rank 2, worldSize 2');
    expect(() => checkShard({ rank: 0, worldSize: 1.5 }, 'x')).toThrow(/worldSize 1.5/);
    expect(() => checkShard({ rank: 1, worldSize: 2 }, 'x')).not.toThrow();
  });
});
