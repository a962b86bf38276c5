import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, limitWasmHeap, variableGrads, WASM_HEAP_EXHAUSTED } from '../../src/backend/index.js';

describe('wasm heap guard (out of memory is a RangeError, nothing leaks)', () => {
  beforeAll(async () => {
    await initBackend('wasm', { log: () => {} });
  });
  afterAll(() => limitWasmHeap(undefined));

  it('a tensor that does not fit throws before anything is registered; smaller ones still work', () => {
    const before = tf.memory().numTensors;
    limitWasmHeap(2 ** 20);
    try {
      expect(() => tf.zeros([512, 1024])).toThrow(RangeError); // 2 MB
      expect(() => tf.zeros([512, 1024])).toThrow(WASM_HEAP_EXHAUSTED);
      expect(tf.memory().numTensors).toBe(before);
      const small = tf.fill([64, 64], 3);
      expect(small.sum().dataSync()[0]).toBe(3 * 64 * 64);
      small.dispose();
    } finally {
      limitWasmHeap(undefined);
    }
    const big = tf.ones([512, 1024]);
    expect(big.sum().dataSync()[0]).toBe(512 * 1024);
    big.dispose();
  });

  it('variableGrads that runs out of memory mid-pass frees its saved activations and tape', () => {
    const w = tf.variable(tf.randomNormal([64, 64], 0, 0.1, 'float32', 1));
    const x = tf.randomNormal([256, 64], 0, 1, 'float32', 2);
    const loss = () => tf.tidy(() => tf.mean(tf.square(tf.relu(tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x, w)), w)), w)))) as tf.Scalar);
    const before = tf.memory().numTensors;
    // Enough for part of the pass only: the forward keeps every activation for the backward pass.
    limitWasmHeap(200 * 1024);
    try {
      expect(() => tf.tidy(() => variableGrads(loss, [w]).value)).toThrow(WASM_HEAP_EXHAUSTED);
    } finally {
      limitWasmHeap(undefined);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.engine() as unknown as { state: { activeTape: unknown } }).state.activeTape).toBeNull();
    const { value, grads } = variableGrads(loss, [w]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    w.dispose();
    x.dispose();
  });
});
