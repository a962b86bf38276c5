/**
 * `npm run bench`: HRNet inference and training throughput per available backend, with achieved GFLOP/s
 * and ratios against baselines measured in this same process. Not a test: numbers vary by machine.
 *
 *   npm run bench -- [--models hrnet_w18_small,hrnet_w32] [--size 224] [--backends wasm,cpu] [--steps 3]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { countMacs, initBackend } from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'hrnet_w18_small,hrnet_w32' },
    size: { type: 'string', default: '224' },
    backends: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '3' },
    'train-batch': { type: 'string', default: '8' },
  },
});
const size = Number(values.size);
const steps = Number(values.steps);
const trainBatch = Number(values['train-batch']);

async function timeIt(fn: () => void | Promise<void>, runs: number): Promise<number> {
  await fn(); // warm-up: kernel setup, wasm conv caches
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] / 1000; // median seconds
}

interface Row { backend: string; model: string; what: string; imgPerSec: number; gflops: number; tensorsGrowth?: number }

async function measure(backend: string, name: string, size: number, which: Array<'infer1' | 'infer8' | 'train'>): Promise<Row[]> {
  const model = createClassifier(name, { numClasses: 1000, inputShape: [size, size, 3] });
  const macs = countMacs(model);
  const rows: Row[] = [];
  for (const what of which) {
    if (what === 'train') {
      const opt = tf.train.momentum(0.01, 0.9);
      const x = tf.randomNormal([trainBatch, size, size, 3]);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: trainBatch }, (_, i) => i % 1000), 'int32'), 1000);
      const step = () => {
        tf.tidy(() => {
          opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
        });
      };
      step();
      const before = tf.memory().numTensors;
      const sec = await timeIt(() => { step(); return tf.ready(); }, steps);
      rows.push({ backend, model: name, what: `train b${trainBatch}`, imgPerSec: trainBatch / sec, gflops: (3 * 2 * macs * trainBatch) / sec / 1e9, tensorsGrowth: tf.memory().numTensors - before });
      tf.dispose([x, y]);
      opt.dispose();
    } else {
      const batch = what === 'infer1' ? 1 : 8;
      const x = tf.randomNormal([batch, size, size, 3]);
      const sec = await timeIt(async () => { const out = model.predict(x) as tf.Tensor; await out.data(); out.dispose(); }, steps);
      rows.push({ backend, model: name, what: `infer b${batch}`, imgPerSec: batch / sec, gflops: (2 * macs * batch) / sec / 1e9 });
      x.dispose();
    }
  }
  model.dispose();
  return rows;
}

const fmt = (r: Row) =>
  `${r.backend.padEnd(6)} ${r.model.padEnd(18)} ${String(size).padEnd(5)} ${r.what.padEnd(9)} ${r.imgPerSec.toFixed(2).padStart(8)} img/s ${r.gflops.toFixed(2).padStart(7)} GFLOP/s` +
  (r.tensorsGrowth != null ? `  tensors +${r.tensorsGrowth}` : '');

// Baseline, same process: the stock tfjs `cpu` backend on hrnet_w18_small at 64x64 (full size would take
// minutes per training step there). GFLOP/s is size-independent enough to compare.
await initBackend('cpu', { log: () => {} });
const baseline = await measure('cpu', 'hrnet_w18_small', 64, ['infer8', 'train']);
console.log('baseline (tfjs cpu backend, hrnet_w18_small @64):');
baseline.forEach((r) => console.log('  ' + fmt(r).replace(` ${size} `, ' 64  ')));

console.log(`\nbackend model              size  what      throughput       achieved`);
for (const backend of values.backends.split(',')) {
  try {
    await initBackend(backend as 'wasm', { log: (m) => console.log(`# ${m}`) });
  } catch (e) {
    console.log(`# ${backend}: not available (${(e as Error).message})`);
    continue;
  }
  for (const name of values.models.split(',')) {
    for (const r of await measure(backend, name, size, ['infer1', 'infer8', 'train'])) {
      const base = baseline.find((b) => b.what.startsWith(r.what.split(' ')[0]))!;
      console.log(`${fmt(r)}   x${(r.gflops / base.gflops).toFixed(1)} vs cpu baseline`);
    }
  }
}
