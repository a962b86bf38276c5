/**
 * sumTensors: the sum of a model's worth of per-variable scalars (the finite probe, the gradient norm) in
 * tf.addN groups that webgpu accepts. One tf.addN over 160 tensors is an invalid pipeline there (Dawn allows
 * 8 storage buffers per shader stage) and reads back garbage; on every backend the grouped sum must equal
 * the plain one. The webgpu case is skipped, with the reason printed, where no adapter exists.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, listWebgpuAdapters } from '@hrnet/core/backend';
import { describe, expect, it } from 'vitest';
import { loadWebgpu } from '../../../test-utils/webgpu.js';
import { clipGradNorm } from '../src/grad-clip.js';
import { sumTensors } from '../src/sum-tensors.js';

const webgpu = await loadWebgpu(listWebgpuAdapters);
const values = Array.from({ length: 160 }, (_, i) => ((i * 37) % 101) / 8 - 6);
const want = values.reduce((a, v) => a + v, 0);

describe('sumTensors', () => {
  for (const backend of ['cpu', 'webgpu'] as const) {
    it.skipIf(backend === 'webgpu' && !webgpu.available)(`160 scalars, 1, and none on ${backend}; clipGradNorm over 160 gradients`, async () => {
      await initBackend(backend, { log: () => {} });
      const before = tf.memory().numTensors;
      const scalars = values.map((v) => tf.scalar(v));
      const [sum, one, none] = tf.tidy(() => [sumTensors(scalars), sumTensors(scalars.slice(0, 1)), sumTensors([])]);
      expect(await sum.data()).toEqual(new Float32Array([want])); // every partial sum is a multiple of 1/8: exact in float32
      expect(await one.data()).toEqual(new Float32Array([values[0]]));
      expect(await none.data()).toEqual(new Float32Array([0]));
      const clipped = tf.tidy(() => clipGradNorm(Object.fromEntries(scalars.map((s, i) => [`g${i}`, s])), 1));
      expect((await clipped.norm.data())[0]).toBeCloseTo(Math.sqrt(values.reduce((a, v) => a + v * v, 0)), 3);
      tf.dispose([...scalars, sum, one, none, clipped.norm, ...Object.values(clipped.grads)]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
