import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, limitWasmHeap } from '@hrnet/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOutOfMemoryError, readMicroBatchCache, SGD, Trainer, type TrainerEvent } from '../src/index.js';
import { firstMicroBatch } from '../src/micro-batch.js';
import { crossEntropy } from './helpers.js';

/** conv(16) -> BN -> relu -> conv(16) -> relu -> pool -> dense: activations grow with the batch, weights do not. */
function model(): tf.LayersModel {
  const input = tf.input({ shape: [24, 24, 3] });
  let y = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization().apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU().apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y, name: 'oom_toy' });
}

interface Batch {
  images: Float32Array;
  labels: Int32Array;
  shape: [number, number, number, number];
}

function batches(count: number, n: number): Batch[] {
  return Array.from({ length: count }, (_, k) => ({
    images: Float32Array.from({ length: n * 24 * 24 * 3 }, (_, i) => Math.sin(i * 0.37 + k)),
    labels: Int32Array.from({ length: n }, (_, i) => (i + k) % 2),
    shape: [n, 24, 24, 3] as [number, number, number, number],
  }));
}

function trainerOf(m: tf.LayersModel, size: number | 'auto', cache: string | false, onLog?: (e: TrainerEvent) => void) {
  return new Trainer<Batch>({ model: m, loss: crossEntropy, optimizer: new SGD({ learningRate: 0.05, momentum: 0.9 }), microBatch: { size, cache }, progress: 'none', onLog });
}

/** Heap bytes one training step at micro-batch `size` allocates at its peak. */
async function peakOf(size: number, batch: Batch): Promise<number> {
  const m = model();
  const t = trainerOf(m, size, false);
  const limit = limitWasmHeap(2 ** 31)!;
  try {
    await t.trainStep(batch);
  } finally {
    limitWasmHeap(undefined);
  }
  t.optimizer.dispose();
  m.dispose();
  return limit.peak;
}

describe("microBatch 'auto' on a forced small wasm heap: out of memory → halve → retry, state intact", () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm', { log: () => {} });
    dir = await mkdtemp(join(tmpdir(), 'hrnet-micro-'));
  });
  afterAll(async () => {
    limitWasmHeap(undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the micro-batch that fits, trains exactly as that size given, remembers it and starts there next time', async () => {
    const data = batches(3, 8);
    // A heap with room for a micro-batch of 3 but not 4: the search goes 8 → 4 → 2.
    const [p1, p2] = [await peakOf(1, data[0]), await peakOf(2, data[0])];
    const budget = p2 + 0.8 * (p2 - p1);
    const cache = join(dir, 'micro-batch.json');

    const ref = model();
    const fixed = trainerOf(ref, 2, false);
    for (const b of data) await fixed.trainStep(b);

    const m = model();
    const events: TrainerEvent[] = [];
    const auto = trainerOf(m, 'auto', cache, (e) => events.push(e));
    const before = tf.memory().numTensors;
    limitWasmHeap(budget);
    const counts: number[] = [];
    try {
      for (const b of data) {
        await auto.trainStep(b);
        counts.push(tf.memory().numTensors);
      }
    } finally {
      limitWasmHeap(undefined);
    }
    expect(events.filter((e) => e.type === 'microBatch')).toEqual([{ type: 'microBatch', size: 2, batch: 8, microBatches: 4, source: 'search', tried: [8, 4], cache }]);
    // The passes that ran out of memory left no trace: same weights and BatchNorm statistics as micro-batch 2 from the start.
    const diff = Math.max(...m.weights.map((w, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(w.read(), ref.weights[i].read()))).dataSync()[0])));
    expect(diff).toBeLessThan(1e-6);
    // Nothing of the failed passes is left: the first step adds only SGD's momentum buffers.
    expect(counts[0] - before).toBe(m.trainableWeights.length);
    expect(new Set(counts).size).toBe(1);

    const saved = await readMicroBatchCache(cache);
    expect(Object.values(saved)).toEqual([{ fits: 2, failed: 4 }]);
    expect(JSON.parse(await readFile(cache, 'utf8'))).toEqual(saved);

    // A new run of the same model and input starts at the remembered size: nothing runs out of memory.
    const again: TrainerEvent[] = [];
    const m2 = model();
    const next = trainerOf(m2, 'auto', cache, (e) => again.push(e));
    limitWasmHeap(budget);
    try {
      await next.trainStep(data[0]);
    } finally {
      limitWasmHeap(undefined);
    }
    expect(again.filter((e) => e.type === 'microBatch')).toEqual([{ type: 'microBatch', size: 2, batch: 8, microBatches: 4, source: 'cache', tried: [], cache }]);
    for (const t of [fixed, auto, next]) t.optimizer.dispose();
    for (const x of [ref, m, m2]) x.dispose();
  });

  it('a fixed micro-batch that does not fit is the backend error, not a retry', async () => {
    const m = model();
    const t = trainerOf(m, 8, false);
    limitWasmHeap(64 * 1024);
    let err: unknown;
    try {
      await t.trainStep(batches(1, 8)[0]);
    } catch (e) {
      err = e;
    } finally {
      limitWasmHeap(undefined);
    }
    expect(isOutOfMemoryError(err)).toBe(true);
    t.optimizer.dispose();
    m.dispose();
  });

  it('firstMicroBatch: the whole batch unless a smaller size ran out of memory before', () => {
    expect(firstMicroBatch(12, undefined)).toBe(12);
    expect(firstMicroBatch(12, { fits: 12 })).toBe(12);
    expect(firstMicroBatch(12, { fits: 3, failed: 6 })).toBe(3);
    expect(firstMicroBatch(4, { fits: 3, failed: 6 })).toBe(4);
    expect(firstMicroBatch(2, { fits: 3, failed: 6 })).toBe(2);
  });
});
