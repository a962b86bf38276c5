/**
 * `ToTensor()` + `Normalize(mean, std)` of torchvision, kept in HWC order for TF.js: every byte
 * becomes ((v / 255) - mean[c]) / std[c], each step rounded to float32 as torch computes it.
 */

/** ImageNet channel statistics (RGB, on [0, 1] pixels): timm's `IMAGENET_DEFAULT_MEAN` / `_STD`, torchvision's. */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** Per-channel lookup tables: 256 float32 values each, for the given mean/std. */
export function normalizationTable(mean: readonly number[] = IMAGENET_MEAN, std: readonly number[] = IMAGENET_STD): Float32Array[] {
  return mean.map((mu, c) => {
    const m = Math.fround(mu);
    const s = Math.fround(std[c]);
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(v / 255) - m) / s;
    return t;
  });
}

const DEFAULT_TABLE = normalizationTable();

/** Normalises interleaved 8-bit pixels (HWC, `channels` = mean.length) into float32 HWC. */
export function normalizeImage(
  data: Uint8Array,
  out?: Float32Array,
  mean: readonly number[] = IMAGENET_MEAN,
  std: readonly number[] = IMAGENET_STD,
): Float32Array {
  const table = mean === IMAGENET_MEAN && std === IMAGENET_STD ? DEFAULT_TABLE : normalizationTable(mean, std);
  const cn = table.length;
  const res = out ?? new Float32Array(data.length);
  if (cn === 3) {
    const [t0, t1, t2] = table;
    for (let i = 0; i < data.length; i += 3) {
      res[i] = t0[data[i]];
      res[i + 1] = t1[data[i + 1]];
      res[i + 2] = t2[data[i + 2]];
    }
    return res;
  }
  for (let i = 0; i < data.length; i += cn) {
    for (let c = 0; c < cn; c++) res[i + c] = table[c][data[i + c]];
  }
  return res;
}
