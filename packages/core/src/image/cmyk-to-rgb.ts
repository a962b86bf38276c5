/**
 * CMYK → RGB as PIL's `convert('RGB')` (Convert.c `cmyk2rgb`): R = (255 − K) − round(C·(255 − K)/255), and so
 * for G and B, ignoring any embedded ICC profile. torchvision's and OpenCV's loaders do the same naive conversion
 * (OpenCV divides by 256: within 1/255). libvips instead applies a CMYK profile (the file's, or its built-in one),
 * which lands on average 14–23/255 away from what the reference pipelines trained on. `cmyk` holds true ink
 * amounts (0 = no ink, Adobe's inversion already undone), interleaved, 4 bytes per pixel.
 */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length >> 2;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const nk = 255 - cmyk[4 * p + 3];
    for (let c = 0; c < 3; c++) {
      const t = cmyk[4 * p + c] * nk + 128;
      rgb[3 * p + c] = nk - (((t >> 8) + t) >> 8);
    }
  }
  return rgb;
}
