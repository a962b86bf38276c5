/**
 * `npm run bench -w @hrnet/deploy`: inference img/s of one HRNet classifier through our ONNX export on
 * onnxruntime-node against the same model on each tfjs backend (native where @hrnet/backend-native's addon
 * loads, and wasm), all through `loadPredictor`, in this one process. Each tfjs backend is the baseline of
 * onnxruntime runs interleaved with its own, and the ratio is taken between those. Random weights: speed does
 * not depend on them. Not a test: numbers vary with the machine and its load, printed before and after.
 *
 *   npm run bench -w @hrnet/deploy -- [--model hrnet_w18_small] [--size 224] [--batches 1,8] [--runs 5] [--threads 2] [--backends native,wasm]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendKind } from '@hrnet/core/backend';
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

/**
 * Median seconds per prediction of `x` for each predictor, after one warm-up each, their runs interleaved
 * (a, b, a, b, …) so that load from other processes falls on all of them alike.
 */
async function timeInterleaved(ps: Predictor[], x: tf.Tensor): Promise<number[]> {
  for (const p of ps) await p.predict(x);
  const times = ps.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < ps.length; i++) {
      const t0 = performance.now();
      await ps[i].predict(x);
      times[i].push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)] / 1000);
}

const build = () => createClassifier(values.model, { numClasses: 1000, inputShape: [size, size, 3] });
const backends = values.backends.split(',') as BackendKind[];

console.log(`# ${values.model} @${size}, batches ${batches.join(', ')}, median of ${runs} interleaved runs, ${threads} threads; load average (1/5/15 min) before: ${load()}`);
const lines: string[] = [];
let onnx: Predictor | undefined;
for (const backend of backends) {
  await initBackend(backend, { threads, log: (m) => console.log(`# ${m}`) });
  const model = build();
  if (!onnx) {
    const t0 = performance.now();
    const bytes = exportOnnx(model, { inputLayout: 'NHWC' });
    console.log(`# exported ONNX (NHWC): ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    onnx = await loadPredictor(bytes, { threads });
  }
  const tfjs = await loadPredictor(model, { runtime: 'tfjs' });
  const cells: string[][] = [[], []];
  for (const batch of batches) {
    const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 1);
    const [tTfjs, tOnnx] = await timeInterleaved([tfjs, onnx], x);
    x.dispose();
    cells[0].push(`${(batch / tTfjs).toFixed(1)} | 1.00`);
    cells[1].push(`${(batch / tOnnx).toFixed(1)} | ${(tTfjs / tOnnx).toFixed(2)}`);
    console.log(`# batch ${batch}: tfjs ${backend} ${(batch / tTfjs).toFixed(1)} img/s, onnxruntime-node ${(batch / tOnnx).toFixed(1)} img/s`);
  }
  lines.push(`| tfjs ${backend} | tfjs ${backend} | ${cells[0].join(' | ')} |`, `| onnxruntime-node | tfjs ${backend} | ${cells[1].join(' | ')} |`);
  await tfjs.dispose();
  model.dispose();
}
await onnx?.dispose();
console.log(`# load average after: ${load()} (the bench itself accounts for up to ${threads}: more means other processes competed and the numbers are noisy)`);
console.log(`\n| runtime | baseline (same runs) | ${batches.map((b) => `batch ${b} img/s | × baseline`).join(' | ')} |`);
console.log(`|---|---|${batches.map(() => '---|---').join('|')}|`);
for (const l of lines) console.log(l);
