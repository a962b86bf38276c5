/**
 * `npm run bench -w @hrnet/deploy`: inference img/s of HRNet models through our ONNX export on onnxruntime-node,
 * the same models on the best tfjs backend (native where @hrnet/backend-native's addon loads, else wasm; or
 * `--backends`), and PyTorch CPU (bench/pytorch-hrnet.py: timm's HRNet / pose_higher_hrnet, same parameter
 * counts) in one command. tfjs and onnxruntime runs are interleaved in this process, so their ratio survives a
 * busy machine; PyTorch runs next, in its own process, with the same thread count; the load average is printed
 * around each. Random weights: speed does not depend on them. Not a test.
 *
 *   npm run bench -w @hrnet/deploy -- [--models hrnet_w18_small@224,hrnet_w32@224,higherhrnet_w32_512@512]
 *       [--batches 1,8] [--runs 5] [--threads 2] [--backends native] [--pytorch auto|off|PYTHON]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '@hrnet/core';
import { initBackend, type BackendKind } from '@hrnet/core/backend';
import { createModel, higherHrnetPreset, listHigherHrnetPresets } from '@hrnet/heads';
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
    models: { type: 'string', default: 'hrnet_w18_small@224,hrnet_w32@224,higherhrnet_w32_512@512' },
    batches: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    backends: { type: 'string', default: (await nativeLoads()) ? 'native' : 'wasm' },
    pytorch: { type: 'string', default: 'auto' },
  },
});
const batches = values.batches.split(',').map(Number);
const runs = Number(values.runs);
const threads = Number(values.threads);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const models = values.models.split(',').map((m) => {
  const [name, size] = m.split('@');
  return { name, size: Number(size ?? 224), pose: listHigherHrnetPresets().includes(name) };
});

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

/** A Python that imports torch, or undefined. */
function findPython(): string | undefined {
  if (values.pytorch === 'off') return undefined;
  const candidates = values.pytorch !== 'auto' ? [values.pytorch] : [process.env.HRNET_BENCH_PYTHON, '/usr/bin/python3', 'python3'];
  return candidates.find((py) => py && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

/** PyTorch CPU img/s per batch of the same network (bench/pytorch-hrnet.py), or why not. */
function pytorchTimes(python: string | undefined, model: (typeof models)[number], params: number): Record<string, number> | string {
  if (!python) return values.pytorch === 'off' ? 'off' : 'no Python with torch (Debian: apt-get install python3-torch)';
  // HigherHRNet's backbone is timm's hrnet_w<C> cfg (C: the first stage-2 width).
  const backbone = model.pose ? `hrnet_w${higherHrnetPreset(model.name).config.MODEL.EXTRA.STAGE2.NUM_CHANNELS[0]}` : model.name;
  const dir = mkdtempSync(join(tmpdir(), 'hrnet-deploy-bench-'));
  try {
    const cfgFile = join(dir, 'cfg.json');
    writeFileSync(cfgFile, JSON.stringify(resolveConfig(backbone)));
    const script = fileURLToPath(new URL('../../../bench/pytorch-hrnet.py', import.meta.url));
    const args = [script, cfgFile, '--arch', model.pose ? 'higherhrnet' : 'classifier', '--size', String(model.size), '--batches', batches.join(','), '--steps', String(runs), '--threads', String(threads), '--infer-only'];
    const run = spawnSync(python, args, { encoding: 'utf8' });
    if (run.status !== 0) return `failed: ${run.stderr.trim().split('\n').pop()}`;
    const ref = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
    if (ref.params !== params) return `parameter count ${ref.params} differs from ours (${params}): not comparable`;
    console.log(`# pytorch ${ref.torch}, ${ref.threads} threads, ${ref.params} parameters (= ours)`);
    return Object.fromEntries(batches.map((b) => [b, ref[`infer b${b}`] as number]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const python = findPython();
const backend = values.backends.split(',')[0] as BackendKind;
await initBackend(backend, { threads, log: (m) => console.log(`# ${m}`) });
console.log(`# batches ${batches.join(', ')}, median of ${runs} runs, ${threads} threads everywhere; tfjs backend ${backend}; load average (1/5/15 min) at start: ${load()}`);
const rows: string[] = [];
for (const m of models) {
  const model = createModel(m.name, { inputShape: [m.size, m.size, 3] });
  const params = model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  const t0 = performance.now();
  const bytes = exportOnnx(model, { inputLayout: 'NHWC' });
  console.log(`\n# ${m.name} @${m.size}: ${params} parameters; ONNX export ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s; load average before: ${load()}`);
  const onnx = await loadPredictor(bytes, { threads });
  const tfjs = await loadPredictor(model, { runtime: 'tfjs' });
  const measured: Record<number, { tfjs: number; onnx: number }> = {};
  for (const batch of batches) {
    const x = tf.randomUniform([batch, m.size, m.size, 3], -1, 1, 'float32', 1);
    const [tTfjs, tOnnx] = await timeInterleaved([tfjs, onnx], x);
    x.dispose();
    measured[batch] = { tfjs: batch / tTfjs, onnx: batch / tOnnx };
    console.log(`# batch ${batch}: tfjs ${backend} ${(batch / tTfjs).toFixed(2)} img/s, onnxruntime-node ${(batch / tOnnx).toFixed(2)} img/s (load ${load()})`);
  }
  await Promise.all([onnx.dispose(), tfjs.dispose()]);
  model.dispose();
  const torch = pytorchTimes(python, m, params);
  if (typeof torch === 'string') console.log(`# pytorch: ${torch}`);
  else console.log(`# pytorch: ${batches.map((b) => `batch ${b} ${torch[b].toFixed(2)} img/s`).join(', ')} (load ${load()})`);
  for (const b of batches) {
    const pt = typeof torch === 'string' ? undefined : torch[b];
    const cell = (v: number) => `${v.toFixed(2)}${pt ? ` (${(v / pt).toFixed(2)}x)` : ''}`;
    rows.push(`| ${m.name} @${m.size} | ${b} | ${cell(measured[b].onnx)} | ${cell(measured[b].tfjs)} | ${pt ? pt.toFixed(2) : 'n/a'} |`);
  }
}
console.log(`\n# load average at the end: ${load()} (the bench itself accounts for up to ${threads}: more means other processes competed and the numbers are noisy)`);
console.log(`\n| model | batch | onnxruntime-node img/s (× PyTorch) | tfjs ${backend} img/s (× PyTorch) | PyTorch CPU img/s |`);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
