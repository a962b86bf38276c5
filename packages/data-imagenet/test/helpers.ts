import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** A fresh temp dir and its cleanup. */
export async function tempDir(prefix = 'hrnet-data-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A PNG whose pixel (x, y) is (x, y, 7 * x + y) mod 256: exact values to check geometry against. */
export async function gradientPng(width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      px[i] = x % 256;
      px[i + 1] = y % 256;
      px[i + 2] = (7 * x + y) % 256;
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
