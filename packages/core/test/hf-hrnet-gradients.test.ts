import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { applyTraining, initBackend, variableGrads, type BackendKind } from '../src/backend/index.js';
import { createBackbone, loadPytorchWeights } from '../src/index.js';
import { loadFixtureTensor, maxRelativeError, readManifest } from '../src/testing/index.js';
import { seeded } from './backend/grad-check.js';

/**
 * HF-HRNet's gradients on wasm and native against the cpu backend (the reference kernels): the tiny
 * fixture backbone with its weights, a 2×3×64×64 crop of the fixture input, loss sum(output · W) with a
 * fixed pseudo-random W. Train mode runs the Trainer's path (applyTraining + variableGrads); eval mode
 * plain tfjs autodiff. Every gradient (input and all trainable weights) must agree with cpu within 1e-4
 * of its max |value|; the worst margins are printed.
 */
const dir = fileURLToPath(new URL('../../../fixtures/hf-hrnet/', import.meta.url));
const extra = JSON.parse(readFileSync(`${dir}hf_hrnet_tiny.config.json`, 'utf8')).extra;
const TOLERANCE = 1e-4;
const MODES = ['train', 'eval'] as const;
type Mode = (typeof MODES)[number];
type Grads = Map<string, { shape: number[]; data: Float32Array }>;

async function gradsOn(backend: BackendKind, mode: Mode): Promise<Grads> {
  await initBackend(backend, { log: () => {} });
  const model = createBackbone(extra);
  await loadPytorchWeights(model, `${dir}hf_hrnet_tiny.safetensors`, { naming: 'hf-hrnet' });
  const full = loadFixtureTensor(dir, readManifest(dir, 'hf_hrnet_tiny.manifest.json').input);
  const image = tf.variable(tf.slice(full, [0, 0, 0, 0], [2, 64, 64, 3]), true, 'image');
  const w = tf.tensor(seeded(2 * 16 * 16 * 16, 5), [2, 16, 16, 16]);
  const vars = [image, ...model.trainableWeights.map((v) => v.read() as tf.Variable)];
  const names = ['input', ...model.trainableWeights.map((v) => v.originalName ?? v.name)];
  const loss = () => tf.sum(tf.mul((mode === 'train' ? applyTraining(model, image) : model.apply(image, { training: false })) as tf.Tensor, w)) as tf.Scalar;
  const { value, grads } = mode === 'train' ? variableGrads(loss, vars) : tf.variableGrads(loss, vars);
  const out: Grads = new Map(vars.map((v, i) => [names[i], { shape: grads[v.name].shape, data: grads[v.name].dataSync() as Float32Array }]));
  tf.dispose([value, ...Object.values(grads), image, w, full]);
  model.dispose();
  return out;
}

const native = await loadNative();
const backends: BackendKind[] = native.available ? ['wasm', 'native'] : ['wasm'];
if (!native.available) describeSkippedNative('hf-hrnet tiny gradients on native against cpu', native);
if (native.mod && native.available) {
  const { nativeKernelStats } = native.mod;
  afterAll(() => {
    // The depthwise and pointwise convolutions and their gradients really ran on oneDNN in the native checks.
    const stats = nativeKernelStats();
    for (const k of ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'Conv2DBackpropFilter']) {
      expect(stats[k]?.native ?? 0, `${k} ran natively`).toBeGreaterThan(0);
    }
  });
}

describe('hf-hrnet tiny gradients against the cpu backend', () => {
  const reference = new Map<Mode, Grads>();
  beforeAll(async () => {
    for (const mode of MODES) reference.set(mode, await gradsOn('cpu', mode));
  });

  for (const backend of backends) {
    for (const mode of MODES) {
      it(`${backend}, ${mode} mode: input and every parameter gradient`, async () => {
        const ours = await gradsOn(backend, mode);
        const ref = reference.get(mode)!;
        expect([...ours.keys()]).toEqual([...ref.keys()]);
        let worst = { err: 0, name: '' };
        for (const [name, g] of ours) {
          const r = ref.get(name)!;
          const err = tf.tidy(() => maxRelativeError(tf.tensor(g.data, g.shape), tf.tensor(r.data, r.shape)));
          if (err > worst.err) worst = { err, name };
          expect(err, `${name} (${backend}, ${mode})`).toBeLessThanOrEqual(TOLERANCE);
        }
        console.log(`hf-hrnet tiny gradients, ${backend} vs cpu, ${mode} mode: ${ours.size} tensors, max relative error ${worst.err.toExponential(2)} (${worst.name})`);
      });
    }
  }
});
