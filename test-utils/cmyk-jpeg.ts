import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';

const DIR = new URL('../fixtures/cmyk-jpeg/', import.meta.url);

/** An ICC_PROFILE APP2 marker segment list (the profile split into ≤ 65519-byte chunks). */
function iccSegments(icc: Buffer): Buffer[] {
  const chunk = 65519;
  const count = Math.ceil(icc.length / chunk);
  return Array.from({ length: count }, (_, i) => {
    const part = icc.subarray(i * chunk, (i + 1) * chunk);
    const head = Buffer.alloc(18);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(16 + part.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = i + 1;
    head[17] = count;
    return Buffer.concat([head, part]);
  });
}

/**
 * fixtures/cmyk-jpeg: Adobe CMYK JPEGs with PIL's `convert('RGB')` of each, and each again with a CMYK ICC profile
 * spliced in (libvips' built-in one, 0.9 MB, hence not stored): PIL ignores the profile, so the reference is the same.
 */
export async function cmykJpegCorpus(): Promise<{ name: string; jpeg: Buffer; width: number; height: number; pil: Uint8Array }[]> {
  const rgb = Buffer.alloc(4 * 4 * 3, 128);
  const tagged = await sharp(rgb, { raw: { width: 4, height: 4, channels: 3 } }).toColourspace('cmyk').withIccProfile('cmyk').jpeg().toBuffer();
  const icc = (await sharp(tagged).metadata()).icc!;
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .flatMap((f) => {
      const jpeg = readFileSync(new URL(f, DIR));
      const pil = new Uint8Array(readFileSync(new URL(f.replace(/\.jpg$/, '.pil.rgb'), DIR)));
      const withIcc = Buffer.concat([jpeg.subarray(0, 2), ...iccSegments(icc), jpeg.subarray(2)]);
      return [
        { name: f, jpeg, width: 40, height: 30, pil },
        { name: `${f} + ICC profile`, jpeg: withIcc, width: 40, height: 30, pil },
      ];
    });
}
