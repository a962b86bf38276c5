import * as tf from '@tensorflow/tfjs';

function checkK(k: number, numClasses: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`top-k: k must be a positive integer, got ${k}`);
  if (k > numClasses) throw new Error(`top-k: k (${k}) exceeds the number of classes (${numClasses})`);
}

/**
 * Fraction of rows whose label is among the `k` highest logits, as a scalar tensor (use it inside
 * `tf.tidy`). A label counts as in the top k when fewer than k classes score strictly higher, so
 * ties go in the label's favour.
 */
export function topKAccuracy(logits: tf.Tensor2D, labels: tf.Tensor1D | Int32Array, k = 1): tf.Scalar {
  const [n, numClasses] = logits.shape;
  checkK(k, numClasses);
  return tf.tidy(() => {
    const y = labels instanceof tf.Tensor ? labels.toInt() : tf.tensor1d(labels, 'int32');
    if (y.shape[0] !== n) throw new Error(`top-k: ${n} rows of logits but ${y.shape[0]} labels`);
    const target = tf.sum(tf.mul(logits, tf.oneHot(y, numClasses)), 1, true);
    const higher = tf.sum(tf.cast(tf.greater(logits, target), 'float32'), 1);
    return tf.mean(tf.cast(tf.less(higher, k), 'float32')) as tf.Scalar;
  });
}

/** Number of rows of `scores` ([n, numClasses] row-major) whose label is in the top k (same tie rule). */
export function countTopKCorrect(scores: ArrayLike<number>, numClasses: number, labels: ArrayLike<number>, k = 1): number {
  checkK(k, numClasses);
  if (scores.length !== labels.length * numClasses) {
    throw new Error(`top-k: ${scores.length} scores do not fit ${labels.length} labels x ${numClasses} classes`);
  }
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = i * numClasses;
    const target = scores[row + labels[i]];
    let higher = 0;
    for (let c = 0; c < numClasses; c++) if (scores[row + c] > target) higher++;
    if (higher < k) correct++;
  }
  return correct;
}
