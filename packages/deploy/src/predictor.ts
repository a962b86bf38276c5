import * as tf from '@tensorflow/tfjs';
import { loadModelFromDir } from '@hrnet/core';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { batchShape, type InputSpec, type PredictorInput } from './batch-input.js';
import { exportOnnx } from './export-onnx.js';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, permute4 } from './layout.js';
import { readOnnxModelInfo } from './onnx-model-info.js';
import { loadOnnxRuntime } from './onnx-runtime.js';
import { parseOptions } from './parse-options.js';

const loadPredictorOptionsSchema = z
  .object({
    /** Default: 'onnx' for an ONNX file or bytes, 'tfjs' for a model directory or a LayersModel. */
    runtime: z.enum(['onnx', 'tfjs']).optional(),
    /** onnxruntime's intra-op threads (default: its own, one per physical core). */
    threads: z.number().int().positive().optional(),
  })
  .strict();

export type LoadPredictorOptions = z.input<typeof loadPredictorOptionsSchema>;
export type Runtime = NonNullable<LoadPredictorOptions['runtime']>;

/** One model output, NHWC where it is an image-shaped map (as the tfjs model gives it). */
export interface PredictorOutput {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The same contract whichever runtime runs the model. */
export interface Predictor {
  readonly runtime: Runtime;
  /** NHWC [N, H, W, C]; null where any size is accepted (the batch always). */
  readonly inputShape: ReadonlyArray<number | null>;
  readonly outputNames: readonly string[];
  /** Runs an NHWC float32 batch; outputs in the model's output order. */
  predict(batch: PredictorInput): Promise<PredictorOutput[]>;
  /** Frees the session or the model it loaded (a model passed in stays the caller's). */
  dispose(): Promise<void>;
}

/** The divisor of the model's ImageInputCheck layer (1 without one). */
function modelDivisor(model: tf.LayersModel): number {
  const check = model.layers.find((l) => l.getClassName() === 'ImageInputCheck');
  return check ? (check.getConfig().divisor as number) : 1;
}

function tfjsPredictor(model: tf.LayersModel, owned: boolean): Predictor {
  const spec: InputSpec = { shape: model.inputs[0].shape, divisor: modelDivisor(model) };
  const outputNames = model.outputs.map((o) => o.sourceLayer.name);
  return {
    runtime: 'tfjs',
    inputShape: spec.shape,
    outputNames,
    async predict(batch) {
      const shape = batchShape(batch, spec);
      const ys = tf.tidy(() => {
        const x = batch instanceof tf.Tensor ? batch : tf.tensor(batch instanceof Float32Array ? batch : batch.data, shape);
        return [model.predict(x)].flat() as tf.Tensor[];
      });
      try {
        return await Promise.all(ys.map(async (y, i) => ({ name: outputNames[i], shape: y.shape, data: (await y.data()) as Float32Array })));
      } finally {
        tf.dispose(ys);
      }
    },
    async dispose() {
      if (owned) model.dispose();
    },
  };
}

async function onnxPredictor(bytes: Uint8Array, source: string, threads: number | undefined): Promise<Predictor> {
  const info = readOnnxModelInfo(bytes, source);
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', ...(threads != null && { intraOpNumThreads: threads }) });
  const spec: InputSpec = { shape: info.inputShape, divisor: info.divisor };
  const nchw = info.layout === 'NCHW';
  return {
    runtime: 'onnx',
    inputShape: spec.shape,
    outputNames: info.outputNames,
    async predict(batch) {
      const shape = batchShape(batch, spec);
      const values = batch instanceof tf.Tensor ? ((await batch.data()) as Float32Array) : batch instanceof Float32Array ? batch : batch.data;
      const feed = nchw
        ? new ort.Tensor('float32', permute4(values, shape, NHWC_TO_NCHW), NHWC_TO_NCHW.map((p) => shape[p]))
        : new ort.Tensor('float32', values, shape);
      const results = await session.run({ [info.inputName]: feed });
      return info.outputNames.map((name) => {
        const r = results[name];
        const dims = r.dims as number[];
        const data = r.data as Float32Array;
        if (nchw && dims.length === 4) return { name, shape: NCHW_TO_NHWC.map((p) => dims[p]), data: permute4(data, dims, NCHW_TO_NHWC) };
        return { name, shape: [...dims], data };
      });
    },
    async dispose() {
      await session.release();
    },
  };
}

/**
 * A predictor for an ONNX file or its bytes (onnxruntime-node), a tfjs model directory (`model.json` + weights) or a
 * LayersModel, on either runtime: 'onnx' runs a model directory or LayersModel through an in-memory export,
 * 'tfjs' runs on the active tfjs backend (see `initBackend`). Input and output are NHWC for both runtimes.
 */
export async function loadPredictor(source: string | Uint8Array | tf.LayersModel, opts: LoadPredictorOptions = {}): Promise<Predictor> {
  const options = parseOptions('loadPredictor options', loadPredictorOptionsSchema, opts);
  if (source instanceof Uint8Array) {
    if (options.runtime === 'tfjs') throw new Error(`loadPredictor: runtime 'tfjs' runs a model directory or a LayersModel, not ONNX bytes`);
    return onnxPredictor(source, 'ONNX bytes', options.threads);
  }
  if (typeof source !== 'string') {
    if (options.runtime === 'onnx') return onnxPredictor(exportOnnx(source, { inputLayout: 'NHWC' }), `model '${source.name}'`, options.threads);
    return tfjsPredictor(source, false);
  }
  const st = await stat(source).catch(() => {
    throw new Error(`${source}: no such file or directory (expected an ONNX file or a model directory)`);
  });
  if (st.isDirectory()) {
    const model = await loadModelFromDir(source).catch((e: Error) => {
      throw new Error(`${source}: not a model directory (${e.message})`);
    });
    if (options.runtime !== 'onnx') return tfjsPredictor(model, true);
    try {
      return await onnxPredictor(exportOnnx(model, { inputLayout: 'NHWC' }), source, options.threads);
    } finally {
      model.dispose();
    }
  }
  if (options.runtime === 'tfjs') throw new Error(`${source}: runtime 'tfjs' runs a model directory or a LayersModel, not a file (use runtime 'onnx' for an ONNX file)`);
  const bytes = new Uint8Array(await readFile(source));
  return onnxPredictor(bytes, source, options.threads);
}
