/**
 * `npm run bench -w @hrnet/deploy`: inference img/s of one HRNet classifier through our ONNX export on
 * onnxruntime-node against the same model on the tfjs backends (native where @hrnet/backend-native's addon
 * loads, and wasm), all through `loadPredictor`, in this one process. The baseline is the first tfjs backend
 * timed (the best available); every other row prints its ratio to it. Random weights: speed does not depend on
 * them. Not a test: numbers vary with the machine and its load, printed before and after.
 *
 *   npm run bench -w @hrnet/deploy -- [--model hrnet_w18_small] [--size 224] [--batches 1,8] [--runs 5] [--threads 2] [--backends native,wasm]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendKind } from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';
import { exportOnnx, loadPredictor, type Predictor } from '../src/index.js';

async function nativeLoads(): Promise<boolean> {
  try {
    const native = (await import(/* @vite-ignore */ '@hrnet/backend-native' as string)) as { nativeStatus(): { available: boolean } };
    return native.nativeStatus().available;
  } catch {
    return false;
  }
}

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'hrnet_w18_small' },
    size: { type: 'string', default: '224' },
    batches: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    backends: { type: 'string', default: (await nativeLoads()) ? 'native,wasm' : 'wasm' },
  },
});
const size = Number(values.size);
const batches = values.batches.split(',').map(Number);
const runs = Number(values.runs);
const threads = Number(values.threads);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Median seconds of `runs` predictions of `x` after one warm-up. */
async function time(p: Predictor, x: tf.Tensor): Promise<number> {
  await p.predict(x);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await p.predict(x);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] / 1000;
}

const build = () => createClassifier(values.model, { numClasses: 1000, inputShape: [size, size, 3] });
const rows: Array<{ runtime: string; batch: number; imgPerSec: number }> = [];

async function bench(runtime: string, open: () => Promise<Predictor>): Promise<void> {
  const p = await open();
  for (const batch of batches) {
    const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 1);
    rows.push({ runtime, batch, imgPerSec: batch / (await time(p, x)) });
    x.dispose();
    console.log(`# ${runtime} batch ${batch}: ${rows.at(-1)!.imgPerSec.toFixed(1)} img/s`);
  }
  await p.dispose();
}

console.log(`# ${values.model} @${size}, batches ${batches.join(', ')}, median of ${runs} runs, ${threads} threads; load average (1/5/15 min) before: ${load()}`);
for (const backend of values.backends.split(',')) {
  await initBackend(backend as BackendKind, { threads, log: (m) => console.log(`# ${m}`) });
  const model = build();
  await bench(`tfjs ${backend}`, () => loadPredictor(model, { runtime: 'tfjs' }));
  model.dispose();
}
{
  const model = build();
  const t0 = performance.now();
  const bytes = exportOnnx(model, { inputLayout: 'NHWC' });
  console.log(`# exported ONNX: ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  model.dispose();
  await bench('onnxruntime-node', () => loadPredictor(bytes, { threads }));
}
console.log(`# load average after: ${load()} (the bench itself accounts for up to ${threads}: more means other processes competed and the numbers are noisy)`);

const baseline = rows[0].runtime;
console.log(`\n| runtime | ${batches.map((b) => `batch ${b} img/s | ×${baseline}`).join(' | ')} |`);
console.log(`|---|${batches.map(() => '---|---').join('|')}|`);
for (const runtime of [...new Set(rows.map((r) => r.runtime))]) {
  const cells = batches.map((b) => {
    const r = rows.find((x) => x.runtime === runtime && x.batch === b)!;
    const base = rows.find((x) => x.runtime === baseline && x.batch === b)!;
    return `${r.imgPerSec.toFixed(1)} | ${(r.imgPerSec / base.imgPerSec).toFixed(2)}`;
  });
  console.log(`| ${runtime} | ${cells.join(' | ')} |`);
}
