/**
 * `npm run bench:topdown`: forward throughput of the top-down pose networks at 256x192 (HxW) on one backend, in one
 * process: HF-HRNet-18 (top-down preset, HUM blocks), timm's hrnet_w32 classifier at the same size, and the classic
 * HRNet-W32 top-down (`pose_hrnet_w32_256x192`, SimpleBaseline-style 1x1 head); img/s, achieved GFLOP/s (conv MACs x 2)
 * and the ratio to HF-HRNet-18; then where HF-HRNet-18's time goes, per kernel (tf.profile, depthwise convs apart).
 * Not a test: numbers vary with the machine and its load (printed before and after).
 *
 *   npm run bench:topdown -- [--backend native|wasm|cpu|auto] [--batch 8] [--steps 5] [--profile true|false]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, countMacs, initBackend } from '@hrnet/core';
import { createClassifier, createModel } from '@hrnet/heads';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '5' },
    profile: { type: 'string', default: 'true' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const H = 256;
const W = 192;

await initBackend(values.backend as 'auto', { log: (m) => console.log(`# ${m}`) });
const backend = activeBackend()!.kind;
console.log(`# backend ${backend}, batch ${batch}, input ${H}x${W} (HxW), median of ${steps} timed forward passes after 2 warm-up passes`);
console.log(`# load average at start: ${load()}`);

async function time(model: tf.LayersModel, x: tf.Tensor4D): Promise<number> {
  const once = async () => {
    const t0 = performance.now();
    const y = model.predict(x) as tf.Tensor | tf.Tensor[];
    const out = Array.isArray(y) ? y : [y];
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    return performance.now() - t0;
  };
  await once();
  await once();
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) ms.push(await once());
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

const rows: { name: string; params: number; gmacs: number; ms: number }[] = [];
const x = tf.randomNormal([batch, H, W, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
for (const [name, build] of [
  ['hf_hrnet_18_coco_256x192', () => createModel('hf_hrnet_18_coco_256x192', { inputShape: [H, W, 3] })],
  ['hrnet_w32 (timm classifier)', () => createClassifier('hrnet_w32', { numClasses: 1000, inputShape: [H, W, 3] })],
  ['pose_hrnet_w32_256x192', () => createModel('pose_hrnet_w32_256x192', { inputShape: [H, W, 3] })],
] as const) {
  const model = build();
  rows.push({ name, params: model.countParams(), gmacs: countMacs(model) / 1e9, ms: await time(model, x) });
  model.dispose();
}
const base = rows[0]!;
console.log('\n| model | params | GMACs/img | ms/batch | img/s | GFLOP/s | img/s vs HF-HRNet-18 |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ips = (batch * 1000) / r.ms;
  console.log(`| ${r.name} | ${(r.params / 1e6).toFixed(2)}M | ${r.gmacs.toFixed(3)} | ${r.ms.toFixed(0)} | ${ips.toFixed(1)} | ${((2 * r.gmacs * ips)).toFixed(1)} | ${(base.ms / r.ms).toFixed(2)}x |`);
}

if (values.profile !== 'false') {
  // Per-kernel time of one HF-HRNet-18 forward pass. The tfjs kernel name tells depthwise convolutions
  // (DepthwiseConv2dNative) from the dense ones (Conv2D / FusedConv2D).
  const model = createModel('hf_hrnet_18_coco_256x192', { inputShape: [H, W, 3] });
  await time(model, x);
  const info = await tf.profile(async () => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  });
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    // `<op>__op` entries wrap a kernel that is listed too (fusedConv2d__op around FusedConv2D): count the kernel only.
    if (k.name.endsWith('__op')) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
    total += ms;
  }
  console.log(`\nHF-HRNet-18 forward, batch ${batch}: ${[...byKernel.values()].reduce((n, e) => n + e.calls, 0)} kernel calls, ${total.toFixed(0)} ms of kernel time (tf.profile)`);
  console.log('| kernel | calls | ms | share |');
  console.log('|---|---|---|---|');
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.log(`| ${name} | ${e.calls} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / total).toFixed(1)}% |`);
  model.dispose();
}
x.dispose();
console.log(`\n# load average at end: ${load()}`);
