import * as tf from '@tensorflow/tfjs';

/** max |a − e| / max(1, max |e|) over two equally long arrays. */
function relativeError(a: ArrayLike<number>, e: ArrayLike<number>): number {
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

function checkShapes(actual: tf.Tensor, expected: tf.Tensor): void {
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    throw new Error(`shape mismatch: got [${actual.shape}], expected [${expected.shape}]`);
  }
}

function verdict(label: string, err: number, tolerance: number): number {
  if (!(err <= tolerance)) {
    throw new Error(`${label}: max relative error ${err.toExponential(3)} exceeds ${tolerance.toExponential(1)}`);
  }
  return err;
}

/** max |actual − expected| / max(1, max |expected|): the fixtures' tolerance measure. */
export function maxRelativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  checkShapes(actual, expected);
  return relativeError(actual.dataSync(), expected.dataSync());
}

/** Throws a message naming the tensor and both numbers when the relative error exceeds `tolerance`. */
export function assertClose(label: string, actual: tf.Tensor, expected: tf.Tensor, tolerance: number): number {
  return verdict(label, maxRelativeError(actual, expected), tolerance);
}

/** {@link assertClose} with asynchronous reads, for backends without synchronous ones (webgpu in Node). */
export async function assertCloseAsync(label: string, actual: tf.Tensor, expected: tf.Tensor, tolerance: number): Promise<number> {
  checkShapes(actual, expected);
  const [a, e] = await Promise.all([actual.data(), expected.data()]);
  return verdict(label, relativeError(a as Float32Array, e as Float32Array), tolerance);
}
