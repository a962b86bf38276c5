import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, saveModelToDir } from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModelFile, loadPredictor, type Predictor } from '../src/index.js';

// The predictor's contract on both runtimes (sources, input checks, errors) and the atomic file export, on a
// small classifier (hrnet_w18_small's structure, 4 classes, 64x64 input).
const dir = mkdtempSync(join(tmpdir(), 'hrnet-deploy-predictor-'));
let model: tf.LayersModel;
const modelDir = join(dir, 'model');
const onnxFile = join(dir, 'model.onnx');

beforeAll(async () => {
  await initBackend('wasm', { log: () => {} });
  model = createClassifier('hrnet_w18_small', { numClasses: 4, inputShape: [64, 64, 3] });
  await saveModelToDir(model, modelDir);
  await exportModelFile({ model, out: onnxFile, format: 'onnx' });
});
afterAll(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['ONNX file, onnx runtime', () => loadPredictor(onnxFile)],
  ['model directory, onnx runtime', () => loadPredictor(modelDir, { runtime: 'onnx', threads: 1 })],
  ['model directory, tfjs runtime', () => loadPredictor(modelDir)],
  ['LayersModel, tfjs runtime', () => loadPredictor(model)],
] as const)('predictor from a %s', (_what, open) => {
  let p: Predictor;
  beforeAll(async () => {
    p = await open();
  });
  afterAll(async () => {
    await p?.dispose();
  });

  it('takes an NHWC tensor, values with a shape, or bare values, with the same result', async () => {
    expect(p.inputShape).toEqual([null, 64, 64, 3]);
    expect(p.outputNames).toEqual(['classifier']);
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 7);
    const values = (await x.data()) as Float32Array;
    const fromTensor = await p.predict(x);
    expect(fromTensor.map((o) => [o.name, o.shape])).toEqual([['classifier', [2, 4]]]);
    expect((await p.predict({ data: values, shape: [2, 64, 64, 3] }))[0].data).toEqual(fromTensor[0].data);
    expect((await p.predict(values))[0].data).toEqual(fromTensor[0].data);
    const want = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    fromTensor[0].data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-4));
    x.dispose();
  });

  it('rejects a batch of the wrong shape with one line saying what was expected', async () => {
    const expected = 'expected an NHWC float32 batch [N, 64, 64, 3]';
    await expect(p.predict(tf.zeros([1, 3, 64, 64]))).rejects.toThrow(`predict: ${expected}, got shape [1, 3, 64, 64]`);
    await expect(p.predict(tf.zeros([64, 64, 3]))).rejects.toThrow(`predict: ${expected}, got shape [64, 64, 3]`);
    await expect(p.predict(tf.zeros([1, 64, 64, 3], 'int32'))).rejects.toThrow(`predict: ${expected}, got a int32 tensor`);
    await expect(p.predict(new Float32Array(100))).rejects.toThrow('predict: 100 values are not a whole batch of [64, 64, 3] images');
    await expect(p.predict({ data: new Float32Array(10), shape: [1, 64, 64, 3] })).rejects.toThrow('predict: 10 values do not fill shape [1, 64, 64, 3]');
  });
});

describe('predictor input checks of a model with free H and W', () => {
  it('names the divisor (onnx runtime: from the exported metadata)', async () => {
    const free = createClassifier('hrnet_w18_small', { numClasses: 4 });
    for (const p of [await loadPredictor(free, { runtime: 'onnx' }), await loadPredictor(free)]) {
      expect(p.inputShape).toEqual([null, null, null, 3]);
      await expect(p.predict(tf.zeros([1, 48, 64, 3]))).rejects.toThrow('predict: expected an NHWC float32 batch [N, H, W, 3] with H and W multiples of 32, got shape [1, 48, 64, 3]');
      await expect(p.predict(new Float32Array(3 * 64 * 64))).rejects.toThrow(/a bare Float32Array needs a model with fixed H, W and C; pass \{ data, shape \}/);
      await p.dispose();
    }
    free.dispose();
  });
});

describe('loadPredictor errors', () => {
  it('a file that is neither ONNX nor a model directory', async () => {
    const junk = join(dir, 'notes.txt');
    writeFileSync(junk, 'these are not the weights you are looking for\n'.repeat(20));
    await expect(loadPredictor(junk)).rejects.toThrow(new RegExp(`^${junk}: not an ONNX model`));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(loadPredictor(empty)).rejects.toThrow(new RegExp(`^${empty}: not a model directory \\(cannot read .*model.json`));
    await expect(loadPredictor(join(dir, 'missing.onnx'))).rejects.toThrow(/missing.onnx: no such file or directory \(expected an ONNX file or a model directory\)/);
  });

  it('the tfjs runtime asked to run an ONNX file, and an unknown runtime', async () => {
    await expect(loadPredictor(onnxFile, { runtime: 'tfjs' })).rejects.toThrow(/runtime 'tfjs' runs a model directory or a LayersModel, not a file/);
    await expect(loadPredictor(onnxFile, { runtime: 'tensorrt' as never })).rejects.toThrow(/^loadPredictor options: .*"onnx"\|"tfjs".*at runtime$/);
    await expect(loadPredictor(onnxFile, { threads: 0 })).rejects.toThrow(/^loadPredictor options: .*at threads$/);
  });
});

describe('exportModelFile', () => {
  it('replaces the file whole and leaves no temp file; a failed export leaves the old file as it was', async () => {
    const out = join(dir, 'atomic', 'model.onnx');
    const first = await exportModelFile({ model, out, format: 'onnx', inputLayout: 'NCHW' });
    const before = readFileSync(out);
    expect(before.length).toBe(first.bytes);
    await expect(exportModelFile({ model, out, format: 'tflite' as never })).rejects.toThrow(/exportModelFile: .*format/);
    const input = tf.input({ shape: [8, 8, 3] });
    const bad = tf.model({ inputs: input, outputs: tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(input) as tf.SymbolicTensor });
    await expect(exportModelFile({ model: bad, out, format: 'onnx' })).rejects.toThrow(/layer 'pool' \(MaxPooling2D\)/);
    expect(readFileSync(out).equals(before)).toBe(true);
    const second = await exportModelFile({ model, out, format: 'onnx' });
    expect(second.bytes).not.toBe(first.bytes);
    expect(readdirSync(join(dir, 'atomic'))).toEqual(['model.onnx']);
    bad.dispose();
  });
});
