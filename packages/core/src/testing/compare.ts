import * as tf from '@tensorflow/tfjs';

/** max |actual − expected| / max(1, max |expected|): the fixtures' tolerance measure. */
export function maxRelativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`shape mismatch: got [${actual.shape}], expected [${expected.shape}]`);
  }
  const a = actual.dataSync();
  const e = expected.dataSync();
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    // NaN in the output must fail, not slip through a `>` comparison.
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    maxAbs = Math.max(maxAbs, Math.abs(e[i]));
  }
  return maxDiff / Math.max(1, maxAbs);
}

/** Throws a message naming the tensor and both numbers when the relative error exceeds `tolerance`. */
export function assertClose(label: string, actual: tf.Tensor, expected: tf.Tensor, tolerance: number): number {
  const err = maxRelativeError(actual, expected);
  if (!(err <= tolerance)) {
    throw new Error(`${label}: max relative error ${err.toExponential(3)} exceeds ${tolerance.toExponential(1)}`);
  }
  return err;
}
