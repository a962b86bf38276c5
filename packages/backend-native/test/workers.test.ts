import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { beforeAll, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from '../src/index.js';
import { ConvMode, ConvParam, MatMulParam } from '../src/params.js';
import { describeNative, relErr, seeded } from './helpers.js';

interface Job {
  name: string;
  op: 'conv' | 'matmul';
  params: Float64Array;
  heapBytes: number;
  inputs: Array<{ offset: number; values: Float32Array }>;
  outOffset: number;
  outCount: number;
}

/** A conv job (any mode) on a private heap laid out as [src | weights | dst]. */
function convJob(mode: number, [n, h, w, c]: number[], k: number, co: number, stride: number, seed: number): Job {
  const pad = Math.floor(k / 2);
  const ho = Math.floor((h + 2 * pad - k) / stride) + 1;
  const wo = Math.floor((w + 2 * pad - k) / stride) + 1;
  const sizes = { src: n * h * w * c, wei: k * k * c * co, dst: n * ho * wo * co };
  const off = { src: 0, wei: sizes.src * 4, dst: (sizes.src + sizes.wei) * 4 };
  const p = new Float64Array(ConvParam.count);
  const set = (slot: number, v: number) => (p[slot] = v);
  [[ConvParam.mode, mode], [ConvParam.n, n], [ConvParam.c, c], [ConvParam.h, h], [ConvParam.w, w], [ConvParam.co, co], [ConvParam.ho, ho], [ConvParam.wo, wo],
    [ConvParam.kh, k], [ConvParam.kw, k], [ConvParam.groups, 1], [ConvParam.sh, stride], [ConvParam.sw, stride], [ConvParam.dh, 1], [ConvParam.dw, 1],
    [ConvParam.pt, pad], [ConvParam.pb, pad], [ConvParam.pl, pad], [ConvParam.pr, pad], [ConvParam.bias, -1],
    [ConvParam.src, off.src], [ConvParam.wei, off.wei], [ConvParam.dst, off.dst]].forEach(([s, v]) => set(s, v));
  // Inputs and output per mode: forward x,W → y; backward data dy,W → dx; backward weights x,dy → dW.
  const roles = mode === ConvMode.forward ? { ins: ['src', 'wei'], out: 'dst' } : mode === ConvMode.backwardData ? { ins: ['dst', 'wei'], out: 'src' } : { ins: ['src', 'dst'], out: 'wei' };
  const inputs = roles.ins.map((r, i) => ({ offset: off[r as keyof typeof off], values: seeded(sizes[r as keyof typeof sizes], seed + i) }));
  const out = roles.out as keyof typeof off;
  return { name: `conv mode ${mode} [${n},${h},${w},${c}] k${k} s${stride} → ${co}`, op: 'conv', params: p, heapBytes: (sizes.src + sizes.wei + sizes.dst) * 4, inputs, outOffset: off[out], outCount: sizes[out] };
}

function matmulJob(m: number, k: number, n: number, seed: number): Job {
  const p = new Float64Array(MatMulParam.count);
  Object.assign(p, { [MatMulParam.batchA]: 1, [MatMulParam.batchB]: 1, [MatMulParam.m]: m, [MatMulParam.k]: k, [MatMulParam.n]: n, [MatMulParam.bias]: -1 });
  p[MatMulParam.a] = 0;
  p[MatMulParam.b] = m * k * 4;
  p[MatMulParam.out] = (m * k + k * n) * 4;
  return {
    name: `matmul ${m}x${k}x${n}`,
    op: 'matmul',
    params: p,
    heapBytes: (m * k + k * n + m * n) * 4,
    inputs: [{ offset: 0, values: seeded(m * k, seed) }, { offset: m * k * 4, values: seeded(k * n, seed + 1) }],
    outOffset: (m * k + k * n) * 4,
    outCount: m * n,
  };
}

function run(addon: NativeAddon, job: Job): Float32Array {
  const heap = new ArrayBuffer(job.heapBytes);
  for (const { offset, values } of job.inputs) new Float32Array(heap, offset, values.length).set(values);
  expect(addon[job.op](heap, job.params)).toBe(true);
  return new Float32Array(heap, job.outOffset, job.outCount).slice();
}

describeNative('the addon from several worker_threads at once (shared primitive cache)', () => {
  let addon: NativeAddon;
  beforeAll(() => {
    addon = loadAddon().addon!;
  });

  it('3 workers creating and running the same and different primitives concurrently get the single-threaded results', async () => {
    const jobs: Job[] = [];
    for (const mode of [ConvMode.forward, ConvMode.backwardData, ConvMode.backwardWeights]) {
      jobs.push(convJob(mode, [2, 14, 15, 16], 3, 32, 1, 1 + mode), convJob(mode, [1, 9, 9, 18], 3, 36, 2, 5 + mode), convJob(mode, [3, 8, 8, 32], 1, 16, 1, 9 + mode));
    }
    jobs.push(matmulJob(33, 64, 17, 20), matmulJob(8, 270, 100, 22));
    const threads = addon.info().threads;
    addon.clearCache(); // the workers race to create every primitive
    const addonPath = fileURLToPath(new URL('../build/hrnet_native.node', import.meta.url));
    const script = new URL('./fixtures/kernel-worker.mjs', import.meta.url);
    // Different orders so that different primitives are created and run at the same time.
    const orders = [jobs, [...jobs].reverse(), [...jobs.slice(5), ...jobs.slice(0, 5)]];
    const results = await Promise.all(
      orders.map(
        (js) =>
          new Promise<Float32Array[]>((resolve, reject) => {
            const w = new Worker(script, { workerData: { addonPath, threads, iterations: 4, jobs: js } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    const reference = new Map(jobs.map((j) => [j, run(addon, j)]));
    orders.forEach((js, wi) =>
      js.forEach((job, i) => expect(relErr(results[wi][i], reference.get(job)!), `worker ${wi} ${job.name}`).toBeLessThan(1e-6)),
    );
    expect(addon.info().cacheSize).toBeGreaterThan(0);
  });

  it('thread count changes take effect (and results stay the same)', () => {
    const job = convJob(ConvMode.backwardWeights, [2, 12, 12, 16], 3, 16, 1, 3);
    const before = addon.info().threads;
    addon.setThreads(1);
    expect(addon.info().threads).toBe(1);
    const one = run(addon, job);
    addon.setThreads(before);
    expect(addon.info().threads).toBe(before);
    expect(relErr(run(addon, job), one)).toBeLessThan(1e-5);
  });
});
