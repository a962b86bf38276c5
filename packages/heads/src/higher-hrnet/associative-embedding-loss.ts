import * as tf from '@tensorflow/tfjs';

export type AeLossType = 'exp' | 'max';

/**
 * JointsGenerator's target for one output resolution, int32 [N, P, K, 2]: per image, person slot and joint
 * slot, `[index, visible]` where index = t·H·W + y·W + x is the position in the image's tag maps flattened
 * in PyTorch (NCHW) order (t = joint for TAG_PER_JOINT, else 0), and visible > 0 marks a used slot.
 * A tensor or its values.
 */
export type JointsTarget = tf.Tensor | { values: ArrayLike<number>; shape: readonly [number, number, number, number] };

export interface AeLossResult {
  /** Per image [N]: push term (0 with fewer than two tagged people). */
  push: tf.Tensor1D;
  /** Per image [N]: pull term (0 without tagged people). */
  pull: tf.Tensor1D;
}

function jointsValues(joints: JointsTarget): { values: ArrayLike<number>; shape: readonly number[] } {
  if (joints instanceof tf.Tensor) return { values: joints.dataSync(), shape: joints.shape };
  return joints;
}

/**
 * `x.reshape(-1).gather(indices)` whose gradient is a ScatterNd (summing repeated indices). tf.gather's own
 * gradient is an UnsortedSegmentSum, which the wasm backend does not implement.
 */
function gatherFlat(x: tf.Tensor, indices: Int32Array): tf.Tensor1D {
  const size = x.size;
  const shape = x.shape;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.gather(tf.reshape(args[0] as tf.Tensor, [size]), tf.tensor1d(indices, 'int32')) as tf.Tensor1D,
    gradFunc: (dy: tf.Tensor1D) => tf.reshape(tf.scatterND(tf.tensor2d(indices, [indices.length, 1], 'int32'), dy, [size]), shape),
  }));
  return f(x) as tf.Tensor1D;
}

/**
 * HigherHRNet's AELoss (`lib/core/loss.py`, unscaled) for a batch, vectorised. `tags` NHWC [N, H, W, T] (the
 * tag channels of an output). For every person with at least one visible slot: t = its tag values, m = mean(t),
 * pull_p = mean((t - m)²); with P such people: pull = Σ pull_p / P; push over all ordered pairs including
 * p = q: 'exp' (Σ exp(-(m_p - m_q)²) - P) / (P (P - 1)) / 2, 'max' the same with max(0, 1 - |m_p - m_q|).
 * P = 0: both 0; P = 1: push 0. Differentiable in `tags` on every backend (wasm included).
 */
export function associativeEmbeddingLoss(tags: tf.Tensor, joints: JointsTarget, type: AeLossType): AeLossResult {
  if (tags.rank !== 4) throw new Error(`associativeEmbeddingLoss: tags must be NHWC [N, H, W, T], got [${tags.shape}]`);
  if (type !== 'exp' && type !== 'max') throw new Error(`associativeEmbeddingLoss: unknown AE loss type '${type}' (valid: exp, max)`);
  const [n, h, w, t] = tags.shape;
  const { values, shape } = jointsValues(joints);
  if (shape.length !== 4 || shape[0] !== n || shape[3] !== 2) {
    throw new Error(`associativeEmbeddingLoss: joints must be [N=${n}, people, joints, 2], got [${shape}]`);
  }
  const [, people, slots] = shape;
  const hw = h * w;
  const count = n * people * slots;
  // Index into the NHWC tags (flattened over the batch) and a 0/1 mask per slot.
  const index = new Int32Array(count);
  const valid = new Float32Array(count);
  for (let s = 0; s < count; s++) {
    if (!(values[2 * s + 1] > 0)) continue;
    const k = values[2 * s];
    if (!Number.isInteger(k) || k < 0 || k >= t * hw) {
      throw new Error(`associativeEmbeddingLoss: joint index ${k} is outside the tag maps (${t}x${h}x${w}) of image ${Math.floor(s / (people * slots))}`);
    }
    const img = Math.floor(s / (people * slots));
    index[s] = img * hw * t + (k % hw) * t + Math.floor(k / hw);
    valid[s] = 1;
  }
  return tf.tidy(() => {
    const v = tf.tensor3d(valid, [n, people, slots]);
    const vals = tf.reshape(gatherFlat(tags, index), [n, people, slots]);
    const cnt = tf.sum(v, 2); // [N, P]
    const person = tf.cast(tf.greater(cnt, 0), 'float32');
    const safeCnt = tf.maximum(cnt, 1);
    const mean = tf.div(tf.sum(tf.mul(vals, v), 2), safeCnt); // [N, P]
    const pullP = tf.div(tf.sum(tf.mul(tf.square(tf.sub(vals, tf.expandDims(mean, 2))), v), 2), safeCnt);
    const numPeople = tf.sum(person, 1); // [N]
    const pull = tf.div(tf.sum(tf.mul(pullP, person), 1), tf.maximum(numPeople, 1)) as tf.Tensor1D;
    const diff = tf.sub(tf.expandDims(mean, 2), tf.expandDims(mean, 1)); // [N, P, P]
    const pairs = tf.mul(tf.expandDims(person, 2), tf.expandDims(person, 1));
    const similarity = type === 'exp' ? tf.exp(tf.neg(tf.square(diff))) : tf.relu(tf.sub(1, tf.abs(diff)));
    // The diagonal contributes exactly 1 per person (exp(0), 1 - 0), so P = 0 and P = 1 give 0 / 1 = 0.
    const pushSum = tf.sub(tf.sum(tf.mul(similarity, pairs), [1, 2]), numPeople);
    const push = tf.mul(tf.div(pushSum, tf.maximum(tf.mul(numPeople, tf.sub(numPeople, 1)), 1)), 0.5) as tf.Tensor1D;
    return { push, pull };
  });
}
