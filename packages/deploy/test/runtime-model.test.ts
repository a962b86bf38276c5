import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { assertClose } from '@hrnet/core/testing';
import { estimatePoses } from '@hrnet/heads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeModel, type RuntimeModel } from '../src/index.js';
import { higherHrnetTiny, type FixtureModel } from './fixture-models.js';

// What the examples' --runtime flag calls: the same tensors from either runtime, and estimatePoses (which awaits
// an asynchronous model) running on onnxruntime without leaking tensors.
describe('runtimeModel', () => {
  let fx: FixtureModel;
  let nets: RuntimeModel[];
  beforeAll(async () => {
    await initBackend('wasm', { log: () => {} });
    fx = await higherHrnetTiny();
    nets = [await runtimeModel(fx.model), await runtimeModel(fx.model, { runtime: 'onnx' })];
  });
  afterAll(async () => {
    await Promise.all(nets.map((n) => n.dispose()));
    fx.model.dispose();
    tf.dispose([fx.input, ...fx.expected]);
  });

  it('tfjs and onnx give the same outputs (1e-4 of the value range) as tfjs tensors', async () => {
    expect(nets.map((n) => n.runtime)).toEqual(['tfjs', 'onnx']);
    const [a, b] = await Promise.all(nets.map((n) => n.predict(fx.input)));
    a.forEach((t, i) => assertClose(`output ${i}`, b[i], t, 1e-4));
    tf.dispose([...a, ...b]);
  });

  it('estimatePoses runs on either runtime with the same poses, tensors flat; a bad runtime names the flag', async () => {
    const image = { data: Uint8Array.from({ length: 96 * 128 * 3 }, (_, i) => (i * 37) % 256), width: 128, height: 96 };
    await estimatePoses(nets[1], image, { inputSize: 128, flipTest: false });
    const before = tf.memory().numTensors;
    const [a, b] = [await estimatePoses(nets[0], image, { inputSize: 128, flipTest: false }), await estimatePoses(nets[1], image, { inputSize: 128, flipTest: false })];
    expect(b.map((p) => p.score)).toEqual(a.map((p) => expect.closeTo(p.score, 4)));
    expect(tf.memory().numTensors).toBe(before);
    await expect(runtimeModel(fx.model, { runtime: 'tflite' as never })).rejects.toThrow(/^--runtime: .*runtime/);
  });
});
