/**
 * COCO run-length encoding (pycocotools `mask` module semantics): masks are stored column by
 * column (Fortran order, index x*h + y), `counts` alternates runs of 0s and 1s starting with 0s,
 * `size` is [h, w]. Uncompressed RLEs keep `counts` as a number array; compressed ones as the
 * ASCII string pycocotools writes (5 bits per character, characters 48..111, a continuation bit,
 * and from the fourth run on each count stored as the difference to the run two before).
 */

export interface CocoRle {
  size: [number, number];
  counts: string | readonly number[];
}

/** Decodes a compressed `counts` string to run lengths (pycocotools rleFrString). */
export function decodeRleString(s: string): Uint32Array {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error(`RLE string ends inside a number at character ${p}`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE string has a character outside '0'..'o' at ${p}: ${JSON.stringify(s[p])}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      // The last character's 0x10 bit is the sign: extend it (x - 2^(5k) in two's complement).
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    const m = counts.length;
    if (m > 2) x += counts[m - 2];
    counts.push(x >>> 0 === x ? x : ((x % 4294967296) + 4294967296) % 4294967296);
  }
  return Uint32Array.from(counts);
}

/** Encodes run lengths as a compressed `counts` string (pycocotools rleToString). */
export function encodeRleString(counts: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] - (i > 2 ? counts[i - 2] : 0);
    let more = true;
    while (more) {
      let c = x - 32 * Math.floor(x / 32); // x & 0x1f for any sign
      x = Math.floor(x / 32); // arithmetic shift
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** Run lengths of an RLE, whichever form its `counts` has. */
export function rleCounts(rle: CocoRle): Uint32Array {
  if (typeof rle.counts === 'string') return decodeRleString(rle.counts);
  const out = new Uint32Array(rle.counts.length);
  for (let i = 0; i < out.length; i++) {
    const c = rle.counts[i];
    if (!Number.isInteger(c) || c < 0) throw new Error(`RLE counts[${i}] is not a non-negative integer: ${c}`);
    out[i] = c;
  }
  return out;
}

/** Number of pixels inside (sum of the 1-runs), as pycocotools `area`. */
export function rleArea(rle: CocoRle): number {
  const counts = rleCounts(rle);
  let a = 0;
  for (let i = 1; i < counts.length; i += 2) a += counts[i];
  return a;
}

/** Throws when `rle`'s counts do not parse or do not cover exactly its h*w pixels (checked without decoding the mask). */
export function checkRle(rle: CocoRle): void {
  const [h, w] = rle.size;
  const counts = rleCounts(rle);
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total !== h * w) throw new Error(`RLE runs cover ${total} pixels, size [${h}, ${w}] has ${h * w}`);
}

/**
 * Decodes an RLE to a row-major `h*w` mask of 0/1 bytes. The runs must cover exactly h*w pixels
 * (pycocotools would read or write past its buffer otherwise).
 */
export function rleToMask(rle: CocoRle, out?: Uint8Array): Uint8Array {
  const [h, w] = rle.size;
  checkRle(rle);
  const counts = rleCounts(rle);
  const mask = out ?? new Uint8Array(h * w);
  if (out) mask.fill(0, 0, h * w);
  // Walk the runs with a (column, row) cursor instead of dividing every index.
  let x = 0;
  let y = 0;
  for (let i = 0; i < counts.length; i++) {
    let c = counts[i];
    if (i & 1) {
      while (c > 0) {
        const take = Math.min(c, h - y);
        for (let k = 0; k < take; k++) mask[(y + k) * w + x] = 1;
        c -= take;
        y += take;
        if (y === h) {
          y = 0;
          x++;
        }
      }
    } else {
      const pos = x * h + y + c;
      x = (pos / h) | 0;
      y = pos - x * h;
    }
  }
  return mask;
}

/** Encodes a row-major `h*w` mask (any non-zero byte is inside) as an uncompressed COCO RLE. */
export function maskToRle(mask: ArrayLike<number>, height: number, width: number): { size: [number, number]; counts: number[] } {
  if (mask.length < height * width) throw new Error(`mask has ${mask.length} pixels, ${height}x${width} needs ${height * width}`);
  const counts: number[] = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== prev) {
        counts.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}
