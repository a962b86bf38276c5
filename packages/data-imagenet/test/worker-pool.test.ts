import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLoader, generateImageFolderDataset, randomResizedCropTransform, scanImageFolder, type ImageBatch, type ImageFolder } from '../src/index.js';
import { tempDir } from './helpers.js';

async function collect(it: AsyncIterable<ImageBatch>): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('BatchLoader with a worker_threads pool', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let folder: ImageFolder;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await generateImageFolderDataset(dir, { classes: 3, trainPerClass: 6, valPerClass: 0, size: 48, seed: 2 });
    folder = await scanImageFolder(dir, { split: 'train' });
  });
  afterAll(() => cleanup());

  const transform = () => randomResizedCropTransform({ size: 32, colorJitter: { brightness: 0.3 } });

  it('yields exactly the batches of the in-process loader (same seeded augmentation)', async () => {
    const opts = { batchSize: 5, shuffle: true, seed: 3, transform: transform() };
    const inProcess = await collect(new BatchLoader(folder, opts).batches(1));
    const pooled = new BatchLoader(folder, { ...opts, workers: 2, prefetch: 2 });
    const viaWorkers = await collect(pooled.batches(1));
    expect(pooled.stats.batches).toBe(4);
    await pooled.close();
    expect(viaWorkers.map((b) => b.shape)).toEqual(inProcess.map((b) => b.shape));
    viaWorkers.forEach((b, i) => {
      expect(b.paths).toEqual(inProcess[i].paths);
      expect(b.labels).toEqual(inProcess[i].labels);
      expect(b.images).toEqual(inProcess[i].images);
    });
  }, 60_000);

  it('skips a corrupt file decoded in a worker and reports it with its path', async () => {
    const { dir: d2, cleanup: c2 } = await tempDir();
    await generateImageFolderDataset(d2, { classes: 2, trainPerClass: 3, valPerClass: 0, size: 40, seed: 1 });
    const f = await scanImageFolder(d2, { split: 'train' });
    await writeFile(f.samples[2].path, 'garbage');
    const skipped: string[] = [];
    const loader = new BatchLoader(f, { batchSize: 3, transform: transform(), workers: 1, onSkip: (p, e) => skipped.push(`${p}|${e.message}`) });
    const batches = await collect(loader.batches(0));
    await loader.close();
    expect(batches.map((b) => b.shape[0])).toEqual([2, 3]);
    expect(loader.skippedCount).toBe(1);
    expect(skipped[0]).toMatch(new RegExp(`^${f.samples[2].path}\\|cannot decode image '${f.samples[2].path}'`));
    await c2();
  }, 60_000);

  it('shards every global batch across ranks: rank slices together equal the unsharded batches', async () => {
    const opts = { batchSize: 6, shuffle: true, seed: 1, dropLast: true, transform: transform() };
    const full = await collect(new BatchLoader(folder, opts).batches(0));
    const r0 = await collect(new BatchLoader(folder, { ...opts, shard: { rank: 0, worldSize: 2 } }).batches(0));
    const r1 = await collect(new BatchLoader(folder, { ...opts, shard: { rank: 1, worldSize: 2 } }).batches(0));
    expect(r0.map((b) => b.shape[0])).toEqual([3, 3, 3]);
    full.forEach((b, i) => expect([...r0[i].paths, ...r1[i].paths]).toEqual(b.paths));
    expect(() => new BatchLoader(folder, { ...opts, shard: { rank: 2, worldSize: 2 } })).toThrow(/rank/);
    expect(() => new BatchLoader(folder, { batchSize: 2, workers: 1, transform: { outputShape: [1, 1, 3], apply: async () => new Float32Array(3) } })).toThrow(/built-in transform/);
  }, 60_000);
});
