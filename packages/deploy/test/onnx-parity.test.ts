import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { assertClose } from '@hrnet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModelFile, loadPredictor, type Predictor, type PredictorOutput } from '../src/index.js';
import { hfHrnetTiny, higherHrnetTiny, hrnetClassifierTiny, segmenterTiny, type FixtureModel } from './fixture-models.js';

// onnxruntime-node running our export of each family's tiny reference model (PyTorch fixture weights, random
// BN statistics) against the same model on tfjs (wasm backend), and against PyTorch's outputs. One exported
// file per layout runs batches of 1 and 2 (dynamic batch) and a non-square image (dynamic H and W). Tolerance: 1e-4 of max |value| (core's
// maxRelativeError, the fixtures' measure).
const TOLERANCE = 1e-4;
const dir = mkdtempSync(join(tmpdir(), 'hrnet-deploy-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
});

const asTensor = (o: PredictorOutput) => tf.tensor(o.data, o.shape);
/**
 * Batch 1: the first fixture sample; batch 2: the fixture's two samples, or the sample and its mirror image;
 * then the first sample stretched to at least 1.5x its width, a multiple of the model's input divisor and
 * not square (64x96 for the classifier, 128x192 for HigherHRNet and HF-HRNet, 64x144 for segmentation).
 */
const batches = (x: tf.Tensor4D, divisor: number) => {
  const first = x.slice(0, 1);
  const two = x.shape[0] >= 2 ? x.slice(0, 2) : tf.concat([x.slice(0, 1), tf.reverse(x.slice(0, 1), 2)]);
  let w = Math.ceil((x.shape[2] * 1.5) / divisor) * divisor;
  if (w === x.shape[1]) w += divisor;
  return [first, two, tf.image.resizeBilinear(first, [x.shape[1], w])];
};
const divisorOf = (model: tf.LayersModel) => (model.layers.find((l) => l.getClassName() === 'ImageInputCheck')?.getConfig().divisor as number | undefined) ?? 1;

describe.each([
  ['hrnet-cls tiny', hrnetClassifierTiny],
  ['higherhrnet tiny', higherHrnetTiny],
  ['hrnet-seg tiny align_corners=true', () => segmenterTiny(true)],
  ['hrnet-seg tiny align_corners=false', () => segmenterTiny(false)],
  ['hf-hrnet tiny', hfHrnetTiny],
] as const)('%s exported to ONNX', (_family, build) => {
  let fx: FixtureModel;
  let tfjs: Predictor;
  const worst = new Map<string, number>();
  beforeAll(async () => {
    fx = await build();
    tfjs = await loadPredictor(fx.model, { runtime: 'tfjs' });
  });
  afterAll(async () => {
    await tfjs?.dispose();
    fx?.model.dispose();
    tf.dispose([fx?.input, ...(fx?.expected ?? [])]);
    console.log(`${fx?.family}: onnxruntime max relative error (tolerance ${TOLERANCE}): ${[...worst].map(([k, e]) => `${k} ${e.toExponential(2)}`).join('; ')}`);
  });

  it.each(['NCHW', 'NHWC'] as const)('%s layout: onnxruntime equals tfjs at batch 1 and 2 and on a non-square image, and PyTorch on the fixture input', async (layout) => {
    const file = join(dir, `${fx.family.replace(/\W+/g, '-')}.${layout}.onnx`);
    await exportModelFile({ model: fx.model, out: file, format: 'onnx', inputLayout: layout });
    const onnx = await loadPredictor(file);
    try {
      expect(onnx.runtime).toBe('onnx');
      expect(onnx.outputNames).toEqual(tfjs.outputNames);
      expect(onnx.inputShape).toEqual(tfjs.inputShape);
      const xs = batches(fx.input, divisorOf(fx.model));
      for (const x of xs) {
        const [got, want] = [await onnx.predict(x), await tfjs.predict(x)];
        expect(got.map((o) => o.shape)).toEqual(want.map((o) => o.shape));
        got.forEach((o, i) => {
          const key = `${layout} [${x.shape.join('x')}] ${o.name} vs tfjs`;
          tf.tidy(() => {
            worst.set(key, assertClose(`${fx.family} ${key}`, asTensor(o), asTensor(want[i]), TOLERANCE));
          });
        });
      }
      tf.dispose(xs);
      const got = await onnx.predict(fx.input);
      got.forEach((o, i) => {
        const key = `${layout} ${o.name} vs PyTorch`;
        tf.tidy(() => {
          worst.set(key, assertClose(`${fx.family} ${key}`, asTensor(o), fx.expected[i], TOLERANCE));
        });
      });
    } finally {
      await onnx.dispose();
    }
  });

  it('predicting leaves no tensors behind on either runtime', async () => {
    const onnx = await loadPredictor(fx.model, { runtime: 'onnx' });
    const x = fx.input.slice(0, 1);
    await Promise.all([onnx.predict(x), tfjs.predict(x)]);
    const before = tf.memory().numTensors;
    const values = { data: (await x.data()) as Float32Array, shape: x.shape };
    for (let i = 0; i < 3; i++) {
      await onnx.predict(x);
      await tfjs.predict(x);
      await tfjs.predict(values);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    await onnx.dispose();
  });
});
