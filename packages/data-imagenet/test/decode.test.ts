import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, ImageDecodeError, readImageSize } from '../src/index.js';
import { cmykJpegCorpus } from '../../../test-utils/cmyk-jpeg.js';
import { pngHeaderOnly } from '../../../test-utils/hostile-png.js';
import { gradientPng, tempDir } from './helpers.js';

describe('decodeImage', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  it('decodes exact RGB pixels, then crops', async () => {
    const png = await gradientPng(20, 10);
    expect(await readImageSize(png)).toEqual({ width: 20, height: 10 });
    const full = await decodeImage(png);
    expect([full.width, full.height, full.data.length]).toEqual([20, 10, 600]);
    const at = (x: number, y: number) => Array.from(full.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
    expect(at(3, 4)).toEqual([3, 4, 25]);
    const crop = await decodeImage(png, { crop: { left: 5, top: 2, width: 4, height: 3 } });
    expect([crop.width, crop.height]).toEqual([4, 3]);
    expect(Array.from(crop.data.subarray(0, 3))).toEqual([5, 2, 37]);
  });

  it('resizes before cropping', async () => {
    const png = await gradientPng(40, 20);
    const img = await decodeImage(png, { resize: { width: 20, height: 10, interpolation: 'nearest' }, crop: { left: 10, top: 5, width: 2, height: 2 } });
    expect([img.width, img.height]).toEqual([2, 2]);
    // nearest downscale by 2: output pixel (10, 5) samples source column ~20, row ~10
    expect(Math.abs(img.data[0] - 20)).toBeLessThanOrEqual(1);
    expect(Math.abs(img.data[1] - 10)).toBeLessThanOrEqual(1);
  });

  it('expands greyscale and drops alpha', async () => {
    const grey = await sharp(Buffer.alloc(12, 77), { raw: { width: 4, height: 3, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(grey);
    expect(g.data.length).toBe(36);
    expect(new Set(g.data)).toEqual(new Set([77]));
    const rgba = await sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    expect(Array.from((await decodeImage(rgba)).data.subarray(0, 3))).toEqual([10, 20, 30]);
  });

  it('decodes CMYK JPEGs as PIL convert("RGB") does, with or without an ICC profile (issue 18: 23/255 away on average)', async () => {
    for (const { name, jpeg, width, height, pil } of await cmykJpegCorpus()) {
      const img = await decodeImage(jpeg);
      expect([img.width, img.height], name).toEqual([width, height]);
      expect(Buffer.compare(Buffer.from(img.data), Buffer.from(pil)), name).toBe(0);
    }
    // A CMYK image through the resize-and-crop pipeline: resized from PIL's RGB, not libvips' CMYK profile.
    const [first] = await cmykJpegCorpus();
    const ops = { resize: { width: 20, height: 15 }, crop: { left: 2, top: 3, width: 10, height: 8 } };
    const fromPil = await decodeImage(await sharp(first.pil, { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer(), ops);
    expect(Buffer.from((await decodeImage(first.jpeg, ops)).data).equals(Buffer.from(fromPil.data))).toBe(true);
  });

  it('refuses an image over the pixel budget from its header, naming the file (issue 18: a 16000x16000 PNG decodes to 768 MB under sharp\'s own limit)', async () => {
    const err = await decodeImage(pngHeaderOnly(16000, 16000), { resize: { width: 8, height: 8 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).message).toBe(`cannot decode image '<buffer>': image larger than the pixel budget of ${2 ** 26} pixels (maxImagePixels)`);
    const png = await gradientPng(40, 30);
    expect((await decodeImage(png, { maxPixels: 1200 })).width).toBe(40);
    await expect(decodeImage(png, { maxPixels: 1199 })).rejects.toThrow(/pixel budget of 1199 pixels/);
  });

  it('throws ImageDecodeError naming the file for corrupt, truncated and missing images', async () => {
    const garbage = join(dir, 'garbage.JPEG');
    await writeFile(garbage, 'definitely not a jpeg');
    const jpeg = await sharp(await gradientPng(64, 64)).jpeg().toBuffer();
    const truncated = join(dir, 'truncated.jpg');
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    for (const path of [garbage, truncated, join(dir, 'missing.jpg')]) {
      const err = await decodeImage(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageDecodeError);
      expect((err as ImageDecodeError).path).toBe(path);
      expect((err as Error).message).toContain(path);
    }
    await expect(readImageSize(garbage)).rejects.toThrow(ImageDecodeError);
  });
});
