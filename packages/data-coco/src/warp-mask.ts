/** The reference's ignore-mask warp, on @hrnet/core's OpenCV-exact `warpAffine`. */
import { warpAffine } from '@hrnet/core';

/**
 * The reference's mask warp: the 0/1 mask as uint8 x255, warped to `size` x `size`, then
 * value/255 > 0.5 → 1 (i.e. warped byte >= 128). Pixels from outside the source become 0.
 */
export function warpMask(mask: Uint8Array, width: number, height: number, m: ArrayLike<number>, size: number): Uint8Array {
  return warpMask255(maskTo255(mask), width, height, m, size);
}

/** The 0/1 mask as the uint8 x255 image the reference warps (compute once, warp to every size). */
export function maskTo255(mask: Uint8Array): Uint8Array {
  const scaled = new Uint8Array(mask.length);
  for (let i = 0; i < scaled.length; i++) scaled[i] = mask[i] ? 255 : 0;
  return scaled;
}

/** {@link warpMask} for a mask already scaled by {@link maskTo255}. */
export function warpMask255(scaled: Uint8Array, width: number, height: number, m: ArrayLike<number>, size: number): Uint8Array {
  const warped = warpAffine({ data: scaled, width, height, channels: 1 }, m, size, size);
  for (let i = 0; i < warped.length; i++) warped[i] = warped[i] > 127 ? 1 : 0;
  return warped;
}
