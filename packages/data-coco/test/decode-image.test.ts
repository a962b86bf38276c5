import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, DEFAULT_MAX_IMAGE_PIXELS, ImageDecodeError } from '../src/index.js';

import { cmykJpegCorpus } from '../../../test-utils/cmyk-jpeg.js';
import { pngHeaderOnly } from '../../../test-utils/hostile-png.js';

describe('decodeRgb', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'decode-rgb-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns interleaved RGB for colour, greyscale and RGBA sources', async () => {
    const px = Buffer.from([10, 20, 30, 200, 40, 50, 60, 255]);
    const png = path.join(dir, 'rgba.png');
    await sharp(px, { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(png);
    const rgba = await decodeRgb(png);
    expect([rgba.width, rgba.height, rgba.channels]).toEqual([2, 1, 3]);
    expect(Array.from(rgba.data)).toEqual([10, 20, 30, 40, 50, 60]);

    const grey = path.join(dir, 'grey.png');
    await sharp(Buffer.from([0, 128, 255]), { raw: { width: 3, height: 1, channels: 1 } }).png().toFile(grey);
    const g = await decodeRgb(grey);
    expect(Array.from(g.data)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);

    const jpg = path.join(dir, 'c.jpg');
    await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 100, b: 50 } } }).jpeg({ quality: 100 }).toFile(jpg);
    const c = await decodeRgb(jpg);
    expect([c.width, c.height, c.data.length]).toEqual([8, 6, 8 * 6 * 3]);
    expect(Math.abs(c.data[0] - 200) + Math.abs(c.data[1] - 100) + Math.abs(c.data[2] - 50)).toBeLessThanOrEqual(6);
  });

  it('names the file when it is missing, truncated or not an image', async () => {
    const jpg = path.join(dir, 'big.jpg');
    const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#39f' } }).jpeg().toBuffer();
    await writeFile(jpg, bytes.subarray(0, bytes.length - 40));
    const txt = path.join(dir, 'note.jpg');
    await writeFile(txt, 'not an image');
    for (const f of [jpg, txt, path.join(dir, 'missing.jpg')]) {
      const err = await decodeRgb(f).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageDecodeError);
      expect((err as ImageDecodeError).path).toBe(f);
      expect((err as Error).message).toContain(f);
    }
  });

  it('decodes CMYK JPEGs as PIL (and within 1/255, cv2) convert them, with or without an ICC profile (issue 18: 23/255 away on average)', async () => {
    for (const { name, jpeg, width, height, pil } of await cmykJpegCorpus()) {
      const img = await decodeRgb(jpeg);
      expect([img.width, img.height, img.channels], name).toEqual([width, height, 3]);
      expect(Buffer.compare(Buffer.from(img.data), Buffer.from(pil)), name).toBe(0);
    }
  });

  it('refuses an image over the pixel budget from its header, naming the file (issue 18: a 16000x16000 PNG took 0.87 GB and 8.8 s to decode)', async () => {
    const png = path.join(dir, 'huge.png');
    await writeFile(png, pngHeaderOnly(16000, 16000));
    expect(16000 * 16000).toBeGreaterThan(DEFAULT_MAX_IMAGE_PIXELS);
    const err = await decodeRgb(png).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as Error).message).toBe(`cannot decode image '${png}': image larger than the pixel budget of ${DEFAULT_MAX_IMAGE_PIXELS} pixels (maxImagePixels)`);
    const small = path.join(dir, 'small.png');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123' } }).png().toFile(small);
    expect((await decodeRgb(small, { maxPixels: 1200 })).width).toBe(40);
    await expect(decodeRgb(small, { maxPixels: 1199 })).rejects.toThrow(/pixel budget of 1199 pixels/);
  });
});
