import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeBackend, initBackend, registerWasmTrainingKernels, wasmTrainingKernelsRegistered, WASM_TRAINING_KERNELS } from '../../src/backend/index.js';

// Neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed in this workspace.
describe('initBackend', () => {
  it("'auto' picks wasm here, registers the training kernels and says why it skipped tensorflow", async () => {
    const lines: string[] = [];
    const name = await initBackend('auto', { log: (m) => lines.push(m) });
    expect(name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmTrainingKernelsRegistered()).toBe(true);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/backend: wasm/);
    expect(lines[0]).toMatch(/skipped tensorflow/);
    expect(lines[0]).toMatch(/@tensorflow\/tfjs-node-gpu not installed/);
    expect(lines[0]).toMatch(/@tensorflow\/tfjs-node not installed/);
  });

  it("'tensorflow' throws a clear error when no tfjs-node package is installed, and leaves the backend alone", async () => {
    await initBackend('wasm', { log: () => {} });
    await expect(initBackend('tensorflow', { log: () => {} })).rejects.toThrow(
      /no native TensorFlow backend: @tensorflow\/tfjs-node-gpu not installed; @tensorflow\/tfjs-node not installed.*Install @tensorflow\/tfjs-node/,
    );
    expect(tf.getBackend()).toBe('wasm');
  });

  it('is idempotent and safe to call concurrently; switches between kinds', async () => {
    const log = () => {};
    const names = await Promise.all([initBackend('auto', { log }), initBackend('wasm', { log }), initBackend('cpu', { log }), initBackend('auto', { log })]);
    expect(names).toEqual(['wasm', 'wasm', 'cpu', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    for (const k of Object.keys(WASM_TRAINING_KERNELS)) expect(tf.getKernel(k, 'wasm')).toBeDefined();
    // Training still works after repeated registration (the replaced kernels' fallbacks are intact).
    const x = tf.randomNormal([2, 8, 8, 3]);
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4]));
    const { grads } = tf.variableGrads(() => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 2, 'same')));
    expect(grads[w.name].shape).toEqual([3, 3, 3, 4]);
    tf.dispose([x, w, grads[w.name]]);
  });

  it('activeBackend() says which kind was chosen (native where tfjs reports wasm) and how', async () => {
    const log = () => {};
    await initBackend('cpu', { log });
    expect(activeBackend()).toEqual({ kind: 'cpu', description: expect.stringMatching(/^cpu \(plain JS/) });
    await initBackend('wasm', { log });
    expect(activeBackend()).toMatchObject({ kind: 'wasm', description: expect.stringMatching(/^wasm \(/) });
    const lines: string[] = [];
    await initBackend('auto', { log: (m) => lines.push(m) });
    const a = activeBackend()!;
    expect(['native', 'wasm']).toContain(a.kind);
    expect(lines[0]).toBe(`[hrnet] backend: ${a.description}`);
    expect(a.description.startsWith(a.kind === 'native' ? 'wasm + native (' : 'wasm (')).toBe(true);
    // A failed request leaves the record of the last success.
    await expect(initBackend('tensorflow', { log })).rejects.toThrow();
    expect(activeBackend()).toEqual(a);
  });

  it('amp on a CPU backend: one more line saying compute stays float32', async () => {
    const lines: string[] = [];
    await initBackend('cpu', { amp: true, log: (m) => lines.push(m) });
    expect(lines).toEqual(['[hrnet] backend: cpu (plain JS; slow, for tests and debugging)', '[hrnet] amp: float32 compute (TF.js has no float16 path on cpu)']);
  });

  it('rejects an unknown kind', async () => {
    await expect(initBackend('cuda' as never, { log: () => {} })).rejects.toThrow(/unknown backend kind 'cuda'; use 'auto', 'tensorflow', 'webgpu', 'native', 'wasm' or 'cpu'/);
  });
});
