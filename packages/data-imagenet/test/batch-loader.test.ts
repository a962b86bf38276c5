import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchLoader,
  evalTransform,
  generateImageFolderDataset,
  ImageDecodeError,
  scanImageFolder,
  type ImageBatch,
  type ImageSample,
  type ImageTransform,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** A transform that encodes the sample (path index) into its one output value, and logs calls. */
function fakeTransform(calls: string[] = [], failing = new Set<string>()): ImageTransform {
  return {
    outputShape: [1, 1, 3],
    async apply(src, rng) {
      const path = src as string;
      calls.push(path);
      await new Promise((r) => setTimeout(r, 1));
      if (failing.has(path)) throw new ImageDecodeError(path, new Error('bad data'));
      return new Float32Array([Number(path.slice(1)), rng.next(), 0]);
    },
  };
}

const samples = (n: number, classes = 3): ImageSample[] => Array.from({ length: n }, (_, i) => ({ path: `/${i}`, label: i % classes }));

async function collect(it: AsyncIterable<ImageBatch>): Promise<ImageBatch[]> {
  const out: ImageBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('BatchLoader', () => {
  it('yields every sample once per epoch, in order without shuffle, with a smaller last batch', async () => {
    const loader = new BatchLoader(samples(10), { batchSize: 4, transform: fakeTransform() });
    expect(loader.length).toBe(3);
    const batches = await collect(loader.batches(0));
    expect(batches.map((b) => b.shape)).toEqual([[4, 1, 1, 3], [4, 1, 1, 3], [2, 1, 1, 3]]);
    const ids = batches.flatMap((b) => Array.from({ length: b.shape[0] }, (_, i) => b.images[i * 3]));
    expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.flatMap((b) => Array.from(b.labels))).toEqual(ids.map((i) => i % 3));
    expect(batches[2].paths).toEqual(['/8', '/9']);
    expect(batches[0].labels).toBeInstanceOf(Int32Array);
  });

  it('mixup: every batch mixed with its flip, soft targets matching the images, reproducible per seed', async () => {
    const run = (seed: number) =>
      collect(new BatchLoader(samples(8), { batchSize: 4, transform: fakeTransform(), seed, mixup: { mixupAlpha: 0.8, numClasses: 3 } }).batches(0));
    const batches = await run(1);
    for (const b of batches) {
      // image value = λ·id_i + (1-λ)·id_{N-1-i}; the target row carries the same λ on the two labels
      const [a, z] = [b.images[0], b.images[9]];
      const ids = b.paths.map((p) => Number(p.slice(1)));
      const lam = (a - ids[3]) / (ids[0] - ids[3]);
      expect(z).toBeCloseTo(lam * ids[3] + (1 - lam) * ids[0], 5);
      const row0 = Array.from(b.targets!.slice(0, 3));
      const expected = [0, 0, 0];
      expected[ids[0] % 3] += lam;
      expected[ids[3] % 3] += 1 - lam;
      row0.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
      expect(b.labels[0]).toBe(ids[0] % 3);
    }
    expect(batches[0].images).toEqual((await run(1))[0].images);
    expect(batches[0].images).not.toEqual((await run(2))[0].images);
  });

  it('drops the last incomplete batch when asked', async () => {
    const loader = new BatchLoader(samples(10), { batchSize: 4, transform: fakeTransform(), dropLast: true });
    expect(loader.length).toBe(2);
    expect((await collect(loader.batches(0))).length).toBe(2);
  });

  it('shuffles reproducibly: a permutation per epoch, fixed by seed and epoch', async () => {
    const ids = async (seed: number, epoch: number) =>
      (await collect(new BatchLoader(samples(20), { batchSize: 6, transform: fakeTransform(), shuffle: true, seed }).batches(epoch))).flatMap(
        (b) => Array.from({ length: b.shape[0] }, (_, i) => b.images[i * 3]),
      );
    const a = await ids(1, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await ids(1, 0)).toEqual(a);
    expect(await ids(1, 1)).not.toEqual(a);
    expect(await ids(2, 0)).not.toEqual(a);
  });

  it('gives each sample the same augmentation rng whatever the prefetch depth and concurrency', async () => {
    const run = async (prefetch: number, concurrency: number) => {
      const loader = new BatchLoader(samples(12), { batchSize: 5, transform: fakeTransform(), shuffle: true, seed: 5, prefetch, concurrency });
      const out = new Map<number, number>();
      for (const b of await collect(loader.batches(3))) for (let i = 0; i < b.shape[0]; i++) out.set(b.images[i * 3], b.images[i * 3 + 1]);
      return [...out.entries()].sort((x, y) => x[0] - y[0]);
    };
    expect(await run(0, 1)).toEqual(await run(3, 8));
  });

  it('iterating the loader itself advances the epoch', async () => {
    const loader = new BatchLoader(samples(8), { batchSize: 8, transform: fakeTransform(), shuffle: true, seed: 1 });
    const first = (await collect(loader))[0].images;
    const second = (await collect(loader))[0].images;
    expect(first).toEqual((await collect(loader.batches(0)))[0].images);
    expect(second).toEqual((await collect(loader.batches(1)))[0].images);
  });

  it('prefetches the next batch while the current one is consumed', async () => {
    const calls: string[] = [];
    const loader = new BatchLoader(samples(12), { batchSize: 4, transform: fakeTransform(calls), prefetch: 1 });
    const it = loader.batches(0);
    await it.next(); // batch 0 delivered
    await new Promise((r) => setTimeout(r, 30)); // the consumer "trains"
    expect(calls).toEqual(expect.arrayContaining(['/4', '/5', '/6', '/7']));
    expect(calls).not.toContain('/8'); // only one batch ahead
    await it.return(undefined);

    const lazyCalls: string[] = [];
    const lazy = new BatchLoader(samples(12), { batchSize: 4, transform: fakeTransform(lazyCalls), prefetch: 0 }).batches(0);
    await lazy.next();
    await new Promise((r) => setTimeout(r, 30));
    expect(lazyCalls).toEqual(['/0', '/1', '/2', '/3']);
    await lazy.return(undefined);
  });

  it('skips corrupt images (reported once, with the path and a count) and never crashes', async () => {
    const reported: string[] = [];
    const loader = new BatchLoader(samples(9), {
      batchSize: 3,
      transform: fakeTransform([], new Set(['/1', '/3', '/4', '/5'])),
      onSkip: (path, err) => reported.push(`${path}: ${err.message}`),
    });
    for (let epoch = 0; epoch < 2; epoch++) {
      const batches = await collect(loader.batches(epoch));
      expect(batches.map((b) => b.paths)).toEqual([['/0', '/2'], ['/6', '/7', '/8']]); // batch 1 is all corrupt: left out
      expect(batches[0].labels).toEqual(new Int32Array([0, 2]));
    }
    expect(loader.skippedCount).toBe(4);
    expect(reported).toEqual(["/1: cannot decode image '/1': bad data", "/3: cannot decode image '/3': bad data", "/4: cannot decode image '/4': bad data", "/5: cannot decode image '/5': bad data"]);
  });

  it("raises on corrupt images under the 'throw' policy, and always on other errors", async () => {
    const loader = new BatchLoader(samples(4), { batchSize: 2, transform: fakeTransform([], new Set(['/2'])), badSamples: 'fail' });
    await expect(collect(loader.batches(0))).rejects.toThrow("cannot decode image '/2'");
    const broken: ImageTransform = { outputShape: [1, 1, 3], apply: async () => new Float32Array(2) };
    await expect(collect(new BatchLoader(samples(2), { batchSize: 2, transform: broken }).batches(0))).rejects.toThrow(/expected 3/);
  });

  it('validates options', () => {
    expect(() => new BatchLoader(samples(2), { batchSize: 0, transform: fakeTransform() })).toThrow(/batchSize/);
    expect(() => new BatchLoader(samples(2), { batchSize: 1, prefetch: -1, transform: fakeTransform() })).toThrow(/prefetch/);
  });

  describe('on real files', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir());
      await generateImageFolderDataset(dir, { classes: 2, trainPerClass: 3, valPerClass: 0, size: 24, seed: 1 });
    });
    afterAll(() => cleanup());

    it('decodes an image folder into NHWC float32 batches and skips a corrupt JPEG', async () => {
      const folder = await scanImageFolder(dir, { split: 'train' });
      const bad = folder.samples[1].path;
      await writeFile(bad, 'not a jpeg');
      const skipped: string[] = [];
      const loader = new BatchLoader(folder, { batchSize: 4, transform: evalTransform({ size: 16 }), onSkip: (p) => skipped.push(p) });
      const batches = await collect(loader.batches(0));
      expect(batches.map((b) => b.shape)).toEqual([[3, 16, 16, 3], [2, 16, 16, 3]]);
      expect(Array.from(batches[0].labels)).toEqual([0, 0, 1]);
      expect(skipped).toEqual([bad]);
      expect(join(bad)).toContain(dir);
      const values = batches[0].images;
      expect(values.every(Number.isFinite)).toBe(true);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(-2.2);
      expect(Math.max(...values)).toBeLessThanOrEqual(2.7);
    });
  });
});
