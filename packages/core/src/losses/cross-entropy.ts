import * as tf from '@tensorflow/tfjs';

export interface CrossEntropyOptions {
  /** Label smoothing factor s in [0, 1). Default 0. */
  smoothing?: number;
  /**
   * How the smoothed target is built, per reference:
   * - `'timm'` (default; also torch `CrossEntropyLoss(label_smoothing)`, MindCV, `tf.losses.softmaxCrossEntropy`):
   *   `(1 - s) * onehot + s / K` — the true class gets `1 - s + s/K`.
   * - `'mindspore'` (the model zoo's `CrossEntropySmooth`, used by the HRNet_cls recipe):
   *   `on_value = 1 - s`, `off_value = s / (K - 1)` — the true class gets exactly `1 - s`.
   */
  style?: 'timm' | 'mindspore';
}

/**
 * Mean softmax cross entropy of `logits` [N, K] against integer `labels` or soft targets [N, K] (rows of class
 * probabilities, e.g. mixup/cutmix's mixed one-hots), with optional label smoothing:
 * `mean_i( -sum_k q_ik * log_softmax(logits)_ik )`. Smoothing maps a target t to `t·(on - off) + off`, which for a
 * soft target equals timm's `mixup_target(..., smoothing)` (smoothing is linear, so it commutes with the mixing).
 * Use it inside `tf.tidy`/`variableGrads`.
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D,
  opts: CrossEntropyOptions = {},
): tf.Scalar {
  const { smoothing = 0, style = 'timm' } = opts;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`crossEntropy: smoothing must be in [0, 1), got ${smoothing}`);
  if (logits.rank !== 2) throw new Error(`crossEntropy: logits must be [N, K], got shape [${logits.shape.join(', ')}]`);
  const [n, k] = logits.shape as [number, number];
  return tf.tidy(() => {
    const soft = labels instanceof tf.Tensor && labels.rank === 2;
    if (soft && labels.shape[1] !== k) throw new Error(`crossEntropy: soft targets must be [N, ${k}], got [${labels.shape.join(', ')}]`);
    const y = soft ? labels.toFloat() : labels instanceof tf.Tensor ? labels.toInt() : tf.tensor1d(labels as Int32Array, 'int32');
    if (y.shape[0] !== n) throw new Error(`crossEntropy: ${n} rows of logits but ${y.shape[0]} labels`);
    const logp = tf.logSoftmax(logits.toFloat());
    let on = 1;
    let off = 0;
    if (smoothing > 0 && style === 'timm') {
      on = 1 - smoothing + smoothing / k;
      off = smoothing / k;
    } else if (smoothing > 0) {
      on = 1 - smoothing;
      off = k > 1 ? smoothing / (k - 1) : 0;
    }
    // oneHot with 0/1 then arithmetic: tfjs-backend-wasm's OneHot truncates fractional on/off values.
    const hot = soft ? y : tf.cast(tf.oneHot(y as tf.Tensor1D, k), 'float32');
    const target = on === 1 && off === 0 ? hot : tf.add(tf.mul(hot, on - off), off);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}
