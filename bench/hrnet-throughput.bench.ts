/**
 * `npm run bench`: HRNet inference and training throughput per available backend, with achieved GFLOP/s
 * and ratios against baselines measured in this same process. Not a test: numbers vary by machine.
 *
 *   npm run bench -- [--models hrnet_w18_small,hrnet_w32] [--size 224] [--backends native,wasm,cpu,webgpu] [--steps 3] [--train-batch N]
 *                    [--baseline cpu|off] [--pose higherhrnet_w32_512|off] [--pose-size 512] [--pose-batch N] [--adapter I|NAME] [--pytorch auto|off|PYTHON] [--pytorch-device auto|cpu|cuda]
 *                    [--amp]
 *
 * Backends: 'native' (@hrnet/backend-native's oneDNN kernels on the wasm backend; in the default list
 * when its addon loads), 'wasm', 'cpu', 'tensorflow', 'webgpu' (Dawn; `--adapter` picks the adapter). The
 * machine's load is printed with the results: numbers taken while other processes compete for the cores are
 * noisy. Every timed step ends with an asynchronous read of its result, so GPU work is inside the time.
 *
 * `--pose`: also a HigherHRNet preset (default higherhrnet_w32_512 when webgpu is benchmarked, else off) at
 * `--pose-size`: inference, and training with the HigherHRNet loss (heatmaps + AE) on synthetic targets.
 *
 * PyTorch reference: where a Python with PyTorch is found (`--pytorch auto`: $HRNET_BENCH_PYTHON, then
 * /usr/bin/python3 and python3 on the PATH; Debian: apt-get install python3-torch), bench/pytorch-hrnet.py
 * times timm's HRNet (built from the same config, parameter count checked) with the same batches and
 * threads, after the tfjs backends, and the bench prints each backend's ratio to it. `--pytorch-device auto`
 * times it on CUDA (fp32, TF32 off) where torch sees a GPU and webgpu is benchmarked, else on the CPU.
 * timm has no HigherHRNet: the pose rows have no PyTorch ratio.
 *
 * `--amp`: on webgpu with an adapter that has shader-f16, every webgpu row is timed again with core's f16
 * convolutions (`webgpu-f16` rows, their ratio to the float32 row of the same model and batch), and each
 * classifier's inference output is compared between the two (max |f16 − f32| over max |f32|).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { countMacs, resolveConfig } from '@hrnet/core';
import { applyTraining, disableWebgpuF16Convolutions, enableWebgpuF16Convolutions, initBackend, variableGrads } from '@hrnet/core/backend';
import { createClassifier, createHigherHRNet, createHigherHrnetLoss, higherHrnetPreset, parseHigherHrnetConfig } from '@hrnet/heads';

/**
 * Whether the native backend can run, building @hrnet/backend-native's JS (dist/) first if needed: the
 * bench's npm script builds @hrnet/heads and its dependencies only, and core loads the native package
 * by name, optionally.
 */
async function nativeAvailable(): Promise<{ ok: boolean; reason?: string }> {
  const pkgDir = fileURLToPath(new URL('../packages/backend-native/', import.meta.url));
  if (existsSync(`${pkgDir}package.json`) && !existsSync(`${pkgDir}dist/index.js`)) {
    console.log('# building @hrnet/backend-native (dist/ missing)');
    execFileSync('npm', ['run', 'build', '-w', '@hrnet/backend-native'], { stdio: 'ignore', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  }
  try {
    const native = (await import(/* @vite-ignore */ '@hrnet/backend-native' as string)) as { nativeStatus(): { available: boolean; reason?: string } };
    const status = native.nativeStatus();
    return { ok: status.available, reason: status.reason };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n')[0] };
  }
}
// PyTorch runs with the environment this process started with: loading the addon sets OpenMP variables
// (passive waiting) that would slow PyTorch down.
const startEnv = { ...process.env };
const native = await nativeAvailable();

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'hrnet_w18_small,hrnet_w32' },
    size: { type: 'string', default: '224' },
    backends: { type: 'string', default: native.ok ? 'native,wasm' : 'wasm' },
    steps: { type: 'string', default: '3' },
    // Default: 8 for hrnet_w18_small, 2 for larger models (the 4 GB wasm heap holds no more: see
    // bench/heap-capacity.bench.ts).
    'train-batch': { type: 'string', default: '' },
    pytorch: { type: 'string', default: 'auto' },
    'pytorch-device': { type: 'string', default: 'auto' },
    pose: { type: 'string', default: '' },
    'pose-size': { type: 'string', default: '512' },
    'pose-batch': { type: 'string', default: '2' },
    adapter: { type: 'string', default: '' },
    baseline: { type: 'string', default: 'cpu' },
    amp: { type: 'boolean', default: false },
  },
});
const backends = values.backends.split(',');
const pose = values.pose === 'off' ? '' : values.pose || (backends.includes('webgpu') ? 'higherhrnet_w32_512' : '');
const adapter = values.adapter === '' ? undefined : /^\d+$/.test(values.adapter) ? Number(values.adapter) : values.adapter;
const size = Number(values.size);
const steps = Number(values.steps);

function defaultTrainBatch(name: string): number {
  return values['train-batch'] ? Number(values['train-batch']) : name === 'hrnet_w18_small' ? 8 : 2;
}

async function timeIt(fn: () => void | Promise<void>, runs: number, afterWarmup?: () => void): Promise<number> {
  await fn(); // warm-up: kernel setup, wasm conv caches, optimizer slots
  afterWarmup?.();
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

async function measure(
  backend: string,
  name: string,
  size: number,
  which: Array<'infer1' | 'infer8' | 'train'>,
  { trainBatch = defaultTrainBatch(name), runs = steps } = {},
): Promise<Row[]> {
  const model = createClassifier(name, { numClasses: 1000, inputShape: [size, size, 3] });
  const macs = countMacs(model);
  const rows: Row[] = [];
  for (const what of which) {
    if (what === 'train') {
      const opt = tf.train.momentum(0.01, 0.9);
      const x = tf.randomNormal([trainBatch, size, size, 3]);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: trainBatch }, (_, i) => i % 1000), 'int32'), 1000);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const step = () =>
        // The step @hrnet/train's Trainer takes: core's variableGrads, then the optimizer update.
        tf.tidy(() => {
          const { value, grads } = variableGrads(() => tf.losses.softmaxCrossEntropy(y, applyTraining(model, x) as tf.Tensor) as tf.Scalar, vars);
          opt.applyGradients(grads);
          return value;
        });
      let before = 0;
      const sec = await timeIt(() => settle(step()), runs, () => { before = tf.memory().numTensors; });
      rows.push({ backend, model: name, what: `train b${trainBatch}`, imgPerSec: trainBatch / sec, gflops: (3 * 2 * macs * trainBatch) / sec / 1e9, tensorsGrowth: tf.memory().numTensors - before });
      tf.dispose([x, y]);
      opt.dispose();
    } else {
      const batch = what === 'infer1' ? 1 : 8;
      const x = tf.randomNormal([batch, size, size, 3]);
      const sec = await timeIt(async () => { const out = model.predict(x) as tf.Tensor; await out.data(); out.dispose(); }, runs);
      rows.push({ backend, model: name, what: `infer b${batch}`, imgPerSec: batch / sec, gflops: (2 * macs * batch) / sec / 1e9 });
      x.dispose();
    }
  }
  model.dispose();
  return rows;
}

/** Waits for `t` (and so every queued GPU command before it) by reading it, then frees it. */
async function settle(t: tf.Tensor): Promise<void> {
  await t.data();
  t.dispose();
}

/**
 * A HigherHRNet preset: inference at batch 1, and training steps (applyTraining + variableGrads, the
 * HigherHRNet loss with heatmap and AE terms on fixed synthetic targets, SGD with momentum).
 */
async function measurePose(backend: string, preset: string, size: number, batch: number, runs = steps): Promise<Row[]> {
  const cfg = parseHigherHrnetConfig(higherHrnetPreset(preset).config);
  const model = createHigherHRNet(cfg, { inputShape: [size, size, 3] });
  const macs = countMacs(model);
  const label = `${preset}@${size}`;
  const rows: Row[] = [];
  const x1 = tf.randomNormal([1, size, size, 3]);
  const sec1 = await timeIt(async () => { const outs = model.predict(x1) as tf.Tensor[]; await Promise.all(outs.map((o) => o.data())); tf.dispose(outs); }, runs);
  rows.push({ backend, model: label, what: 'infer b1', imgPerSec: 1 / sec1, gflops: (2 * macs) / sec1 / 1e9 });
  x1.dispose();
  const lossFn = createHigherHrnetLoss(cfg);
  const joints = cfg.MODEL.NUM_JOINTS;
  const x = tf.randomNormal([batch, size, size, 3]);
  const shapes = model.outputs.map((o) => o.shape as number[]);
  const heatmaps = shapes.map(([, h, w]) => tf.randomUniform([batch, h!, w!, joints]));
  const masks = shapes.map(([, h, w]) => tf.ones([batch, h!, w!]));
  // Two people per image with every joint visible at fixed spots of each output's tag maps.
  const targets = shapes.map(([, h, w]) => {
    const values = new Int32Array(batch * 2 * joints * 2);
    for (let i = 0; i < batch * 2 * joints; i++) {
      const j = i % joints;
      values[2 * i] = j * h! * w! + ((i * 7) % h!) * w! + ((i * 13) % w!);
      values[2 * i + 1] = 1;
    }
    return { values, shape: [batch, 2, joints, 2] as const };
  });
  const opt = tf.train.momentum(0.01, 0.9);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = variableGrads(() => lossFn(applyTraining(model, x) as tf.Tensor[], { heatmaps, masks, joints: targets }).total, vars);
      opt.applyGradients(grads);
      return value;
    });
  let before = 0;
  const sec = await timeIt(() => settle(step()), runs, () => { before = tf.memory().numTensors; });
  rows.push({ backend, model: label, what: `train b${batch}`, imgPerSec: batch / sec, gflops: (3 * 2 * macs * batch) / sec / 1e9, tensorsGrowth: tf.memory().numTensors - before });
  tf.dispose([x, ...heatmaps, ...masks]);
  opt.dispose();
  model.dispose();
  return rows;
}

const fmt = (r: Row) =>
  `${r.backend.padEnd(10)} ${r.model.padEnd(18)} ${String(size).padEnd(5)} ${r.what.padEnd(9)} ${r.imgPerSec.toFixed(2).padStart(8)} img/s ${r.gflops.toFixed(2).padStart(7)} GFLOP/s` +
  (r.tensorsGrowth != null ? `  tensors +${r.tensorsGrowth}` : '');

// Baseline, same process: the stock tfjs `cpu` backend on hrnet_w18_small at 64x64, training at batch 1
// (at full size one cpu training step takes many minutes). Ratios compare achieved GFLOP/s.
// `--baseline off` skips it (the GPU check's device time is short).
const baseline: Row[] = [];
if (values.baseline !== 'off') {
  await initBackend('cpu', { log: () => {} });
  baseline.push(...(await measure('cpu', 'hrnet_w18_small', 64, ['infer8', 'train'], { trainBatch: 1, runs: 1 })));
  console.log('baseline (tfjs cpu backend, hrnet_w18_small @64):');
  baseline.forEach((r) => console.log('  ' + fmt(r).replace(` ${size} `, ' 64  ')));
}

if (!native.ok) console.log(`# native: not available (${native.reason})`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`\n# load average (1/5/15 min) before: ${load()}; the bench itself accounts for up to ~2 (2 threads): more means other processes competed and the numbers below are noisy`);
console.log(`backend    model              size  what      throughput       achieved`);
let heapExhausted = false;
const measured: Row[] = [];

/** `run`'s rows with core's f16 convolutions on ('webgpu-f16'), each printed with its ratio to the float32 row measured before it. */
async function inF16(run: () => Promise<Row[]>, label: (r: Row) => string = fmt): Promise<void> {
  enableWebgpuF16Convolutions();
  try {
    for (const r of await run()) {
      const f32 = measured.find((m) => m.backend === 'webgpu' && m.model === r.model && m.what === r.what);
      r.backend = 'webgpu-f16';
      measured.push(r);
      console.log(`${label(r)}${f32 ? `   x${(r.imgPerSec / f32.imgPerSec).toFixed(2)} vs f32` : ''}`);
    }
  } finally {
    disableWebgpuF16Convolutions();
  }
}

/** One classifier's inference output (batch 2) with f16 and with float32 convolutions: the largest difference, absolute and over max |f32|. */
async function f16OutputDifference(name: string): Promise<string> {
  const model = createClassifier(name, { numClasses: 1000, inputShape: [size, size, 3] });
  const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 1);
  const logits = async () => {
    const y = model.predict(x) as tf.Tensor;
    const v = await y.data();
    y.dispose();
    return v;
  };
  const f32 = await logits();
  enableWebgpuF16Convolutions();
  const f16 = await logits().finally(disableWebgpuF16Convolutions);
  tf.dispose([x]);
  model.dispose();
  let diff = 0;
  let max = 0;
  f32.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(f16[i] - v));
    max = Math.max(max, Math.abs(v));
  });
  return `# webgpu-f16 ${name} @${size}: logits max |f16 - f32| ${diff.toExponential(2)}, ${(diff / max).toExponential(2)} of max |f32| (${max.toExponential(2)})`;
}

for (const backend of backends) {
  try {
    await initBackend(backend as 'wasm', { log: (m) => console.log(`# ${m}`), adapter });
  } catch (e) {
    console.log(`# ${backend}: not available (${(e as Error).message})`);
    continue;
  }
  // initBackend without amp left tfjs's float32 convolutions registered; this only asks whether f16 ones can run.
  const f16 = backend === 'webgpu' && values.amp && enableWebgpuF16Convolutions();
  disableWebgpuF16Convolutions();
  if (backend === 'webgpu' && values.amp && !f16) console.log('# webgpu --amp: the adapter lacks shader-f16: float32 rows only');
  for (const name of values.models.split(',')) {
    for (const which of [['infer1', 'infer8'], ['train']] as const) {
      // native and wasm share the wasm heap: once an allocation has failed there, later numbers are not trustworthy.
      if (heapExhausted && (backend === 'wasm' || backend === 'native')) {
        console.log(`# ${backend} ${name} ${which.join('/')}: skipped (the wasm heap was exhausted earlier in this process)`);
        continue;
      }
      try {
        for (const r of await measure(backend, name, size, [...which])) {
          measured.push(r);
          const base = baseline.find((b) => b.what.startsWith(r.what.split(' ')[0]));
          console.log(base ? `${fmt(r)}   x${(r.gflops / base.gflops).toFixed(1)} vs cpu baseline` : fmt(r));
        }
        if (f16) await inF16(() => measure(backend, name, size, [...which]));
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        heapExhausted ||= /heap is exhausted|memory access out of bounds|malloc/i.test(msg);
        console.log(`# ${backend} ${name} ${which.join('/')}: failed (${msg})`);
      }
    }
    if (f16) console.log(await f16OutputDifference(name).catch((e: Error) => `# webgpu-f16 ${name}: output comparison failed (${e.message.split('\n')[0]})`));
  }
  if (pose && !(heapExhausted && (backend === 'wasm' || backend === 'native'))) {
    try {
      for (const r of await measurePose(backend, pose, Number(values['pose-size']), Number(values['pose-batch']))) {
        measured.push(r);
        console.log(fmt(r).replace(` ${size} `, ` ${values['pose-size']} `));
      }
      if (f16) await inF16(() => measurePose(backend, pose, Number(values['pose-size']), Number(values['pose-batch'])), (r) => fmt(r).replace(` ${size} `, ` ${values['pose-size']} `));
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      heapExhausted ||= /heap is exhausted|memory access out of bounds|malloc/i.test(msg);
      console.log(`# ${backend} ${pose}: failed (${msg})`);
    }
  }
}
console.log(`# load average after: ${load()}`);

/** A Python that imports torch, or undefined. */
function findPython(): string | undefined {
  if (values.pytorch === 'off') return undefined;
  const candidates = values.pytorch !== 'auto' ? [values.pytorch] : [process.env.HRNET_BENCH_PYTHON, '/usr/bin/python3', 'python3'];
  return candidates.find((py) => py && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

const python = findPython();
/** Where PyTorch runs: CUDA when asked, or (auto) when torch sees a GPU and a GPU backend is benchmarked. */
function pytorchDevice(py: string): string {
  if (values['pytorch-device'] !== 'auto') return values['pytorch-device'];
  if (!backends.includes('webgpu') && !backends.includes('tensorflow')) return 'cpu';
  const probe = spawnSync(py, ['-c', 'import torch; print(torch.cuda.is_available())'], { encoding: 'utf8', env: startEnv });
  return probe.stdout.trim() === 'True' ? 'cuda' : 'cpu';
}
if (!python) {
  console.log(`# PyTorch reference: ${values.pytorch === 'off' ? 'off' : 'no Python with torch found (Debian: apt-get install python3-torch)'}`);
} else {
  const device = pytorchDevice(python);
  console.log(`\n# PyTorch reference (${python}, bench/pytorch-hrnet.py, timm's HRNet, ${device === 'cpu' ? '2 threads' : `${device} fp32`}, median of ${steps}); load average before: ${load()}`);
  const dir = mkdtempSync(join(tmpdir(), 'hrnet-bench-'));
  try {
    for (const name of values.models.split(',')) {
      const cfgFile = join(dir, `${name}.json`);
      writeFileSync(cfgFile, JSON.stringify(resolveConfig(name)));
      const script = fileURLToPath(new URL('./pytorch-hrnet.py', import.meta.url));
      const args = [script, cfgFile, '--size', String(size), '--train-batch', String(defaultTrainBatch(name)), '--steps', String(steps), '--threads', '2', '--device', device];
      const run = spawnSync(python, args, { encoding: 'utf8', env: startEnv });
      if (run.status !== 0) {
        console.log(`# pytorch ${name}: failed (${run.stderr.trim().split('\n').pop()})`);
        continue;
      }
      const ref = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
      const ours = createClassifier(name, { numClasses: 1000, inputShape: [size, size, 3] });
      // PyTorch's parameters(): trainable weights only (BatchNorm running statistics are buffers).
      const params = ours.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
      ours.dispose();
      if (ref.params !== params) console.log(`# pytorch ${name}: parameter count ${ref.params} differs from ours (${params}): ratios not comparable`);
      for (const what of Object.keys(ref).filter((k) => /^(infer|train) b\d+$/.test(k))) {
        const ips = ref[what] as number;
        const ratios = measured
          .filter((r) => r.model === name && r.what === what)
          .map((r) => `${r.backend} ${(r.imgPerSec / ips).toFixed(2)}x`);
        console.log(`pytorch ${name.padEnd(18)} ${String(size).padEnd(5)} ${what.padEnd(9)} ${ips.toFixed(2).padStart(8)} img/s   (torch ${ref.torch}, ${ref.gpu ?? ref.device}, ${ref.params} params)   ${ratios.length ? 'ours / pytorch: ' + ratios.join(', ') : ''}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
