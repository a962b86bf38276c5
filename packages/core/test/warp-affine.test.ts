import { describe, expect, it } from 'vitest';
import { invertAffine, roundHalfEven, warpAffine } from '../src/image/warp-affine.js';

describe('warpAffine (cv2 semantics)', () => {
  const src = { data: Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256), width: 5, height: 4, channels: 3 };

  it('identity and integer shifts copy pixels; outside is 0', () => {
    expect(Array.from(warpAffine(src, [1, 0, 0, 0, 1, 0], 5, 4))).toEqual(Array.from(src.data));
    const shifted = warpAffine(src, [1, 0, 1, 0, 1, 2], 5, 4);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 5; x++) {
        for (let c = 0; c < 3; c++) {
          const sx = x - 1;
          const sy = y - 2;
          const exp = sx >= 0 && sy >= 0 ? src.data[(sy * 5 + sx) * 3 + c] : 0;
          expect(shifted[(y * 5 + x) * 3 + c]).toBe(exp);
        }
      }
    }
  });

  it('bilinear on the 1/32 grid with round-half-up of the 15-bit weights', () => {
    const one = { data: Uint8Array.from([0, 100]), width: 2, height: 1, channels: 1 };
    // dst x=0 samples src x=0.25 → 25; x=1 samples 1.25 → 100 * 0.75 + 0 (outside) * 0.25 = 75
    expect(Array.from(warpAffine(one, [1, 0, -0.25, 0, 1, 0], 2, 1))).toEqual([25, 75]);
    expect(roundHalfEven(2.5)).toBe(2);
    expect(roundHalfEven(3.5)).toBe(4);
    expect(roundHalfEven(-2.5)).toBe(-2);
    expect(roundHalfEven(-3.5)).toBe(-4);
  });
});

describe('warpAffine: buffers and the inverse', () => {
  const src = { data: Uint8Array.from({ length: 6 * 5 * 4 }, (_, i) => (i * 53 + 7) % 256), width: 6, height: 5, channels: 4 };
  const m = [0.8, 0.3, 1.25, -0.2, 1.1, -0.5];

  it('writes into `out` when given (same bytes as a fresh buffer) and checks sizes', () => {
    const fresh = warpAffine(src, m, 7, 6);
    const out = new Uint8Array(7 * 6 * 4 + 8).fill(99);
    expect(warpAffine(src, m, 7, 6, out)).toBe(out);
    expect(Array.from(out.subarray(0, fresh.length))).toEqual(Array.from(fresh));
    expect(Array.from(out.subarray(fresh.length))).toEqual(new Array(8).fill(99));
    expect(() => warpAffine(src, m, 7, 6, new Uint8Array(10))).toThrow(/output buffer too small/);
    expect(() => warpAffine({ ...src, data: src.data.subarray(1) }, m, 7, 6)).toThrow(/buffer holds 119 bytes, 6x5x4 needs 120/);
  });

  it('invertAffine inverts (as cv2.invertAffineTransform), zeros for a singular matrix', () => {
    const inv = invertAffine(m);
    const [x, y] = [3.5, -2];
    const u = m[0] * x + m[1] * y + m[2];
    const v = m[3] * x + m[4] * y + m[5];
    expect(inv[0] * u + inv[1] * v + inv[2]).toBeCloseTo(x, 12);
    expect(inv[3] * u + inv[4] * v + inv[5]).toBeCloseTo(y, 12);
    expect(Array.from(invertAffine([1, 2, 3, 2, 4, 5])).map(Math.abs)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
