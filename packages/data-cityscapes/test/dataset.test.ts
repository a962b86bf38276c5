import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cityscapesBatches, generateSyntheticCityscapes, readCityscapesList, readSample, scanCityscapes, SYNTHETIC_TRAIN_IDS, type SyntheticCityscapes,
} from '../src/index.js';

let root: string;
let ds: SyntheticCityscapes;

beforeAll(async () => {
  await initBackend('cpu', { log: () => {} });
  root = await mkdtemp(join(tmpdir(), 'cityscapes-'));
  ds = await generateSyntheticCityscapes(root, { trainPerCity: 3, valPerCity: 2, size: [32, 64], seed: 1 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('synthetic data in the real Cityscapes layout', () => {
  it('scanCityscapes pairs leftImg8bit with gtFine labelIds, cities and files sorted', async () => {
    expect([ds.train, ds.val]).toEqual([6, 4]);
    const train = await scanCityscapes(root, 'train');
    expect(train.samples.map((s) => s.name)).toEqual([
      'aachen_000000_000000', 'aachen_000000_000001', 'aachen_000000_000002', 'bochum_000000_000000', 'bochum_000000_000001', 'bochum_000000_000002',
    ]);
    expect(train.samples[0].image).toBe(join(root, 'leftImg8bit/train/aachen/aachen_000000_000000_leftImg8bit.png'));
    expect(train.samples[0].label).toBe(join(root, 'gtFine/train/aachen/aachen_000000_000000_gtFine_labelIds.png'));
    // The reference's list-file form names the same files.
    expect((await readCityscapesList(root, join(root, ds.lists.train))).samples).toEqual(train.samples);
  });

  it('labels decode to the synthetic classes (train ids) plus the ignored border, at the image size', async () => {
    const { samples } = await scanCityscapes(root, 'val');
    const d = await readSample(samples[0]);
    expect([d.image.height, d.image.width, d.label!.length]).toEqual([32, 64, 32 * 64]);
    const present = new Set(d.label);
    for (const t of present) expect([...SYNTHETIC_TRAIN_IDS, 255]).toContain(t);
    expect(present.has(255)).toBe(true);
    expect(present.size).toBe(20); // all 19 classes and the ignored border
    // Same seed, same pixels.
    const again = await mkdtemp(join(tmpdir(), 'cityscapes-'));
    await generateSyntheticCityscapes(again, { trainPerCity: 3, valPerCity: 2, size: [32, 64], seed: 1 });
    const d2 = await readSample((await scanCityscapes(again, 'val')).samples[0]);
    expect(d2.image.data).toEqual(d.image.data);
    await rm(again, { recursive: true, force: true });
  });

  it('batches: normalized NHWC images and int32 train ids, augmented to the crop, memory flat', async () => {
    const { samples } = await scanCityscapes(root, 'train');
    const before = tf.memory().numTensors;
    const shapes: number[][] = [];
    for await (const b of cityscapesBatches(samples, 0, { batchSize: 4, augment: { crop: [32, 48], baseSize: 64 }, seed: 3 })) {
      shapes.push(b.images.shape, b.labels.shape);
      expect(b.labels.dtype).toBe('int32');
      tf.dispose([b.images, b.labels]);
    }
    expect(shapes).toEqual([[4, 32, 48, 3], [4, 32, 48]]); // 6 samples, drop last
    // Two data-parallel ranks split every global batch of 4: together the samples of one process.
    const ranks: string[][] = [];
    for (const rank of [0, 1]) {
      const names: string[] = [];
      for await (const b of cityscapesBatches(samples, 0, { batchSize: 4, augment: { crop: [32, 48], baseSize: 64 }, seed: 3, shard: { rank, worldSize: 2 } })) {
        expect(b.images.shape[0]).toBe(2);
        names.push(...b.names);
        tf.dispose([b.images, b.labels]);
      }
      ranks.push(names);
    }
    const whole: string[] = [];
    for await (const b of cityscapesBatches(samples, 0, { batchSize: 4, augment: { crop: [32, 48], baseSize: 64 }, seed: 3 })) {
      whole.push(...b.names);
      tf.dispose([b.images, b.labels]);
    }
    expect([...ranks[0], ...ranks[1]].sort()).toEqual(whole.sort());
    const evalShapes: number[][] = [];
    for await (const b of cityscapesBatches(samples, 0, { batchSize: 4 })) {
      evalShapes.push(b.labels.shape);
      tf.dispose([b.images, b.labels]);
    }
    expect(evalShapes).toEqual([[4, 32, 64], [2, 32, 64]]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad input', () => {
  it('a missing gtFine file: an error naming it, or the image skipped and listed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityscapes-'));
    await generateSyntheticCityscapes(dir, { trainPerCity: 2, valPerCity: 1, size: [32, 64], cities: 1 });
    const missing = join(dir, 'gtFine/train/aachen/aachen_000000_000001_gtFine_labelIds.png');
    await unlink(missing);
    await expect(scanCityscapes(dir, 'train')).rejects.toThrow(`${missing}: missing gtFine label for leftImg8bit/train/aachen/aachen_000000_000001_leftImg8bit.png`);
    const skipped = await scanCityscapes(dir, 'train', { onMissingLabel: 'skip' });
    expect(skipped.samples.length).toBe(1);
    expect(skipped.skipped).toEqual([{ image: join(dir, 'leftImg8bit/train/aachen/aachen_000000_000001_leftImg8bit.png'), missingLabel: missing }]);
    await expect(scanCityscapes(join(dir, 'nope'), 'val')).rejects.toThrow(/leftImg8bit\/val: no such folder/);
    await rm(dir, { recursive: true, force: true });
  });

  it('a label PNG of another size, an RGB label PNG, ids outside the table and bad list lines name the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityscapes-'));
    await generateSyntheticCityscapes(dir, { trainPerCity: 1, valPerCity: 1, size: [32, 64], cities: 1 });
    const [sample] = (await scanCityscapes(dir, 'train')).samples;
    const gray = (w: number, h: number, v: number) => sharp(new Uint8Array(w * h).fill(v), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    await writeFile(sample.label!, await gray(60, 32, 7));
    await expect(readSample(sample)).rejects.toThrow(`${sample.label}: label size 60x32 differs from its image ${sample.image} (64x32)`);
    await writeFile(sample.label!, await sharp(new Uint8Array(64 * 32 * 3), { raw: { width: 64, height: 32, channels: 3 } }).png().toBuffer());
    await expect(readSample(sample)).rejects.toThrow(`${sample.label}: a label-id PNG must have one 8-bit channel, found 3 channels`);
    await writeFile(sample.label!, await gray(64, 32, 50));
    await expect(readSample(sample)).rejects.toThrow(`${sample.label}: label id 50 at pixel 0 is not a Cityscapes label id`);
    const list = join(dir, 'bad.lst');
    await writeFile(list, 'a.png\na.png b.png c.png\n');
    await expect(readCityscapesList(dir, list)).rejects.toThrow(`${list}:2: expected '<image> [<label>]', got 3 fields`);
    await rm(dir, { recursive: true, force: true });
  });

  it('a list line whose label file is missing: an error naming file and line, or the line skipped and listed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityscapes-'));
    const ds = await generateSyntheticCityscapes(dir, { trainPerCity: 2, valPerCity: 1, size: [32, 64], cities: 1 });
    const missing = join(dir, 'gtFine/train/aachen/aachen_000000_000000_gtFine_labelIds.png');
    await unlink(missing);
    const list = join(dir, ds.lists.train);
    await expect(readCityscapesList(dir, list)).rejects.toThrow(`${missing}: missing gtFine label for leftImg8bit/train/aachen/aachen_000000_000000_leftImg8bit.png (${list}:1;`);
    const r = await readCityscapesList(dir, list, { onMissingLabel: 'skip' });
    expect(r.samples.map((s) => s.name)).toEqual(['aachen_000000_000001']);
    expect(r.skipped).toEqual([{ image: join(dir, 'leftImg8bit/train/aachen/aachen_000000_000000_leftImg8bit.png'), missingLabel: missing }]);
    await rm(dir, { recursive: true, force: true });
  });

  it('batches: a bad sample ends the iteration naming its file, or with onBadSample is left out of its batch and reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cityscapes-'));
    await generateSyntheticCityscapes(dir, { trainPerCity: 4, valPerCity: 1, size: [32, 64], cities: 1 });
    const { samples } = await scanCityscapes(dir, 'train');
    const gray = (w: number, h: number, v: number) => sharp(new Uint8Array(w * h).fill(v), { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    await writeFile(samples[1].label!, await gray(60, 32, 7)); // another size than its image
    await writeFile(samples[2].label!, await gray(64, 32, 40)); // label id 40: not in the table
    const drain = async (onBadSample?: (s: { name: string }, e: Error) => void) => {
      const sizes: number[] = [];
      for await (const b of cityscapesBatches(samples, 0, { batchSize: 2, onBadSample })) {
        sizes.push(b.images.shape[0]);
        tf.dispose([b.images, b.labels]);
      }
      return sizes;
    };
    const before = tf.memory().numTensors;
    await expect(drain()).rejects.toThrow(`${samples[1].label}: label size 60x32 differs from its image`);
    const bad: string[] = [];
    expect(await drain((s, e) => bad.push(`${s.name}: ${e.message}`))).toEqual([1, 1]);
    expect(bad).toEqual([
      `aachen_000000_000001: ${samples[1].label}: label size 60x32 differs from its image ${samples[1].image} (64x32)`,
      `aachen_000000_000002: ${samples[2].label}: label id 40 at pixel 0 is not a Cityscapes label id (0…33, or 255)`,
    ]);
    expect(tf.memory().numTensors).toBe(before);
    await rm(dir, { recursive: true, force: true });
  });
});
