import * as tf from '@tensorflow/tfjs';

/** An NHWC float32 image batch: a tensor, or its values with (or, where the model fixes H, W and C, without) a shape. */
export type PredictorInput = tf.Tensor | Float32Array | { data: Float32Array; shape: number[] };

/** What a model accepts: NHWC [N, H, W, C] (null = any size) and the multiple H and W must be of. */
export interface InputSpec {
  shape: ReadonlyArray<number | null>;
  divisor: number;
}

function describe(spec: InputSpec): string {
  const [, h, w, c] = spec.shape.map((d, i) => d ?? 'NHWC'[i]);
  const free = spec.shape[1] == null || spec.shape[2] == null;
  const multiple = free && spec.divisor > 1 ? ` with H and W multiples of ${spec.divisor}` : '';
  return `an NHWC float32 batch [N, ${h}, ${w}, ${c}]${multiple}`;
}

/** The batch's shape, checked against `spec`: one line saying what was expected otherwise. */
export function batchShape(input: PredictorInput, spec: InputSpec): number[] {
  let shape: number[];
  if (input instanceof tf.Tensor) {
    if (input.dtype !== 'float32') throw new Error(`predict: expected ${describe(spec)}, got a ${input.dtype} tensor`);
    shape = input.shape;
  }
  else if (input instanceof Float32Array) {
    const [, h, w, c] = spec.shape;
    if (h == null || w == null || c == null) throw new Error(`predict: a bare Float32Array needs a model with fixed H, W and C; pass { data, shape } (expected ${describe(spec)})`);
    const n = input.length / (h * w * c);
    if (!Number.isInteger(n) || n < 1) throw new Error(`predict: ${input.length} values are not a whole batch of [${h}, ${w}, ${c}] images`);
    shape = [n, h, w, c];
  } else {
    shape = input.shape;
    if (shape.reduce((a, b) => a * b, 1) !== input.data.length) throw new Error(`predict: ${input.data.length} values do not fill shape [${shape.join(', ')}]`);
  }
  const ok =
    shape.length === 4 &&
    shape[0] >= 1 &&
    shape.every((d, i) => Number.isInteger(d) && d >= 1 && (spec.shape[i] == null || spec.shape[i] === d)) &&
    shape[1] % spec.divisor === 0 &&
    shape[2] % spec.divisor === 0;
  if (!ok) throw new Error(`predict: expected ${describe(spec)}, got shape [${shape.join(', ')}]`);
  return shape;
}
