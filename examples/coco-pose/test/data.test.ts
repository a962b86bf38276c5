/** The training data source: sharded (`--dist`) batches are the single-process batches split between the ranks. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeypointBatch } from '@hrnet/data-coco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPoseConfig, type PoseConfig } from '../src/config.js';
import { generateSyntheticDataset, PoseTrainData } from '../src/data.js';

const tinyConfig = join(dirname(fileURLToPath(import.meta.url)), '..', 'configs', 'tiny-cpu.yaml');

async function collect(data: PoseTrainData, epoch: number): Promise<KeypointBatch[]> {
  const out: KeypointBatch[] = [];
  for await (const b of data.batches(epoch)) out.push(b);
  return out;
}

describe('PoseTrainData', () => {
  let dir: string;
  let cfg: PoseConfig;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-data-'));
    const small = join(dir, 'small.yaml');
    await writeFile(small, (await readFile(tinyConfig, 'utf8')).replace('TRAIN_IMAGES: 400', 'TRAIN_IMAGES: 20').replace('VAL_IMAGES: 40', 'VAL_IMAGES: 2'));
    cfg = await loadPoseConfig(small);
    await generateSyntheticDataset(cfg, dir, { splits: ['train'] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('two ranks of 4 see exactly the batches of one process with 8 (order, augmentation, targets)', async () => {
    const whole = await PoseTrainData.open(cfg, dir, { batchSize: 8 });
    const ranks = await Promise.all([0, 1].map((rank) => PoseTrainData.open(cfg, dir, { batchSize: 4, shard: { rank, worldSize: 2 } })));
    expect(whole.length).toBe(2); // 20 images, global batch 8: the last partial batch is dropped
    expect(ranks.map((r) => r.length)).toEqual([2, 2]);
    for (const epoch of [0, 3]) {
      const ref = await collect(whole, epoch);
      const parts = await Promise.all(ranks.map((r) => collect(r, epoch)));
      expect(ref).toHaveLength(2);
      ref.forEach((b, k) => {
        const [a, c] = [parts[0][k], parts[1][k]];
        expect([...a.indices, ...c.indices]).toEqual(b.indices);
        expect([...a.imageIds, ...c.imageIds]).toEqual(b.imageIds);
        expect([...a.params, ...c.params]).toEqual(b.params);
        expect(Float32Array.from([...a.images, ...c.images])).toEqual(b.images);
        for (const [name, list] of Object.entries(b.targets)) {
          list.forEach((t, s) => {
            const [x, y] = [a.targets[name][s], c.targets[name][s]];
            expect(x.shape).toEqual([4, ...t.shape.slice(1)]);
            const joined = t.data instanceof Int32Array ? Int32Array.from([...x.data, ...y.data]) : Float32Array.from([...x.data, ...y.data]);
            expect(joined).toEqual(t.data);
          });
        }
      });
    }
    await Promise.all([whole, ...ranks].map((d) => d.close()));
  });

  it('refuses a shard too small to fill a batch on every rank', async () => {
    await expect(PoseTrainData.open(cfg, dir, { shard: { rank: 0, worldSize: 32 } })).rejects.toThrow('20 training images cannot fill a batch on each of 32 data-parallel ranks');
  });
});
