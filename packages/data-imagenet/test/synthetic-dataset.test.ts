import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLoader, evalTransform, generateImageFolderDataset, MAX_SYNTHETIC_CLASSES, scanImageFolder, type SyntheticDataset } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('generateImageFolderDataset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let ds: SyntheticDataset;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    ds = await generateImageFolderDataset(join(dir, 'a'), { classes: 4, trainPerClass: 12, valPerClass: 4, size: 32, seed: 3 });
  });
  afterAll(() => cleanup());

  it('writes real JPEG files in the ImageNet folder layout', async () => {
    expect(ds.classes).toEqual(['n90000000', 'n90000001', 'n90000002', 'n90000003']);
    expect([ds.train, ds.val]).toEqual([48, 16]);
    const train = await scanImageFolder(ds.root, { split: 'train' });
    const val = await scanImageFolder(ds.root, { split: 'val' });
    expect(train.classes).toEqual(ds.classes);
    expect(train.samples.length).toBe(48);
    expect(val.samples.length).toBe(16);
    const bytes = await readFile(train.samples[0].path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(train.samples[0].path.endsWith('.JPEG')).toBe(true);
    expect(await readFile(join(ds.root, 'classes.txt'), 'utf8')).toBe(ds.classes.map((w, i) => `${w} ${ds.names[i]}\n`).join(''));
  });

  it('is deterministic for a seed', async () => {
    const again = await generateImageFolderDataset(join(dir, 'b'), { classes: 4, trainPerClass: 12, valPerClass: 4, size: 32, seed: 3 });
    const other = await generateImageFolderDataset(join(dir, 'c'), { classes: 1, trainPerClass: 1, valPerClass: 0, size: 32, seed: 4 });
    const file = join('train', 'n90000000', 'n90000000_00000.JPEG');
    expect(await readFile(join(again.root, file))).toEqual(await readFile(join(ds.root, file)));
    expect(await readFile(join(other.root, file))).not.toEqual(await readFile(join(ds.root, file)));
    expect((await readdir(join(other.root, 'train', 'n90000000'))).length).toBe(1);
  });

  it('varies images within a class, yet classes are separable (nearest class-mean colour beats chance)', async () => {
    const t = evalTransform({ size: 32, cropPct: 1, mean: [0, 0, 0], std: [1, 1, 1] });
    const features = async (split: string) => {
      const loader = new BatchLoader(await scanImageFolder(ds.root, { split }), { batchSize: 64, transform: t });
      const out: { f: number[]; label: number }[] = [];
      for await (const b of loader.batches(0)) {
        const per = 32 * 32 * 3;
        for (let i = 0; i < b.shape[0]; i++) {
          // colour histogram feature: mean of the most saturated pixels
          const px = b.images.subarray(i * per, (i + 1) * per);
          const sat: [number, number, number, number][] = [];
          for (let p = 0; p < per; p += 3) sat.push([Math.max(px[p], px[p + 1], px[p + 2]) - Math.min(px[p], px[p + 1], px[p + 2]), px[p], px[p + 1], px[p + 2]]);
          sat.sort((a, b2) => b2[0] - a[0]);
          const top = sat.slice(0, 40);
          out.push({ f: [1, 2, 3].map((c) => top.reduce((s, v) => s + v[c], 0) / top.length), label: b.labels[i] });
        }
      }
      return out;
    };
    const train = await features('train');
    const val = await features('val');
    const means = [0, 1, 2, 3].map((c) => {
      const rows = train.filter((r) => r.label === c);
      return [0, 1, 2].map((k) => rows.reduce((s, r) => s + r.f[k], 0) / rows.length);
    });
    const dist = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0);
    const correct = val.filter((r) => means.map((m) => dist(m, r.f)).indexOf(Math.min(...means.map((m) => dist(m, r.f)))) === r.label).length;
    expect(correct / val.length).toBeGreaterThan(0.5); // chance is 0.25
    // and images of one class differ from each other
    expect(new Set(train.filter((r) => r.label === 0).map((r) => r.f.join())).size).toBe(12);
  });

  it('validates options', async () => {
    await expect(generateImageFolderDataset(dir, { classes: MAX_SYNTHETIC_CLASSES + 1, trainPerClass: 1, valPerClass: 1, size: 16 })).rejects.toThrow(/classes/);
    await expect(generateImageFolderDataset(dir, { classes: 2, trainPerClass: -1, valPerClass: 1, size: 16 })).rejects.toThrow(/trainPerClass/);
    await expect(generateImageFolderDataset(dir, { classes: 2, trainPerClass: 1, valPerClass: 1, size: 4 })).rejects.toThrow(/size/);
  });
});
