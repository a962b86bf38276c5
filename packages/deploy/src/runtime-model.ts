import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { parseOptions } from './parse-options.js';
import { loadPredictor, type Runtime } from './predictor.js';

const runtimeModelOptionsSchema = z
  .object({
    /** 'tfjs' (the active backend) or 'onnx' (onnxruntime-node on an in-memory export); what `--runtime` gives. */
    runtime: z.enum(['tfjs', 'onnx']).default('tfjs'),
    /** onnxruntime's intra-op threads. */
    threads: z.number().int().positive().optional(),
  })
  .strict();

export type RuntimeModelOptions = z.input<typeof runtimeModelOptionsSchema>;

/** A model behind either runtime with tfjs tensors in and out: what evaluation and prediction code calls. */
export interface RuntimeModel {
  readonly runtime: Runtime;
  /** Outputs in the model's output order, NHWC where image-shaped (the caller disposes them). */
  predict(x: tf.Tensor): Promise<tf.Tensor[]>;
  /** Frees the onnxruntime session (the LayersModel stays the caller's). */
  dispose(): Promise<void>;
}

/**
 * `model` on the runtime a script's `--runtime tfjs|onnx` names: the examples' predict / valid scripts wrap their
 * model in this one call. 'onnx' exports the model in memory and runs it on onnxruntime-node (an optional
 * dependency: its absence is one line); 'tfjs' runs `model.predict` on the active backend.
 */
export async function runtimeModel(model: tf.LayersModel, opts: RuntimeModelOptions = {}): Promise<RuntimeModel> {
  const { runtime, threads } = parseOptions('--runtime', runtimeModelOptionsSchema, opts);
  if (runtime === 'tfjs') {
    return {
      runtime,
      // kept: a caller's tidy scope around this (synchronous) call must not dispose what the promise delivers
      predict: async (x) => tf.tidy(() => [model.predict(x)].flat() as tf.Tensor[]).map((t) => tf.keep(t)),
      dispose: async () => {},
    };
  }
  const predictor = await loadPredictor(model, { runtime, threads });
  return {
    runtime,
    predict: async (x) => (await predictor.predict(x)).map((o) => tf.tensor(o.data, o.shape)),
    dispose: () => predictor.dispose(),
  };
}
