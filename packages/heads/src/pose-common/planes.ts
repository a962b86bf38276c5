/**
 * Host-side planar maps: `channels` planes of `height x width` float32 values, channel-major
 * (the NCHW layout of one image). The pose decoding steps work on these; the network's NHWC outputs are
 * converted once with `planesFromNhwc`.
 */

export interface Planes {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export function makePlanes(channels: number, height: number, width: number, data?: Float32Array): Planes {
  const n = channels * height * width;
  if (data && data.length !== n) throw new Error(`planes: ${data.length} values for ${channels}x${height}x${width}`);
  return { data: data ?? new Float32Array(n), channels, height, width };
}

/** One image of an NHWC array (`[H, W, C]` row-major) as planes. */
export function planesFromNhwc(data: ArrayLike<number>, height: number, width: number, channels: number): Planes {
  const hw = height * width;
  if (data.length !== hw * channels) throw new Error(`planesFromNhwc: ${data.length} values for ${height}x${width}x${channels}`);
  const out = new Float32Array(hw * channels);
  for (let p = 0; p < hw; p++) {
    const src = p * channels;
    for (let c = 0; c < channels; c++) out[c * hw + p] = data[src + c]!;
  }
  return { data: out, channels, height, width };
}

/** Planes back to an NHWC-ordered array (`[H, W, C]`). */
export function planesToNhwc(p: Planes): Float32Array {
  const hw = p.height * p.width;
  const out = new Float32Array(hw * p.channels);
  for (let c = 0; c < p.channels; c++) {
    const base = c * hw;
    for (let q = 0; q < hw; q++) out[q * p.channels + c] = p.data[base + q]!;
  }
  return out;
}

/** Planes `start .. start + count - 1` (a view of the same buffer). */
export function slicePlanes(p: Planes, start: number, count: number): Planes {
  if (start < 0 || count < 0 || start + count > p.channels) throw new Error(`slicePlanes: ${start}+${count} of ${p.channels} channels`);
  const hw = p.height * p.width;
  return { data: p.data.subarray(start * hw, (start + count) * hw), channels: count, height: p.height, width: p.width };
}

/** Mirrors every plane along the width (`torch.flip(x, [3])`). */
export function flipPlanesWidth(p: Planes): Planes {
  const { channels, height, width, data } = p;
  const out = new Float32Array(data.length);
  for (let r = 0; r < channels * height; r++) {
    const base = r * width;
    for (let x = 0; x < width; x++) out[base + x] = data[base + width - 1 - x]!;
  }
  return { data: out, channels, height, width };
}

/** Reorders the planes: output plane c is input plane `index[c]` (`x[:, index]`). */
export function permutePlanes(p: Planes, index: readonly number[]): Planes {
  const hw = p.height * p.width;
  const out = new Float32Array(index.length * hw);
  index.forEach((src, c) => {
    if (!(src >= 0 && src < p.channels)) throw new Error(`permutePlanes: index ${src} out of ${p.channels} channels`);
    out.set(p.data.subarray(src * hw, (src + 1) * hw), c * hw);
  });
  return { data: out, channels: index.length, height: p.height, width: p.width };
}
