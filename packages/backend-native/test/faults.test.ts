import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { loadAddon, nativeKernelStats, type NativeAddon } from '../src/index.js';
import { ConvParam, MatMulParam } from '../src/params.js';
import { describeNative, relErr, setupNative, TOL } from './helpers.js';

interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
}
const backend = () => tf.findBackend('wasm') as unknown as WasmBackend;
const offsetOf = (t: tf.Tensor) => backend().dataIdMap.get(t.dataId).memoryOffset;

/** Parameters of a 3x3 'same' conv of [1, 4, 4, 2] with a [3, 3, 2, 2] filter. */
function convParams(x: tf.Tensor, f: tf.Tensor, y: tf.Tensor): Float64Array {
  const p = new Float64Array(ConvParam.count);
  Object.assign(p, { [ConvParam.n]: 1, [ConvParam.c]: 2, [ConvParam.h]: 4, [ConvParam.w]: 4, [ConvParam.co]: 2, [ConvParam.ho]: 4, [ConvParam.wo]: 4 });
  p[ConvParam.kh] = p[ConvParam.kw] = 3;
  p[ConvParam.groups] = p[ConvParam.sh] = p[ConvParam.sw] = p[ConvParam.dh] = p[ConvParam.dw] = 1;
  p[ConvParam.pt] = p[ConvParam.pb] = p[ConvParam.pl] = p[ConvParam.pr] = 1;
  p[ConvParam.bias] = -1;
  p[ConvParam.src] = offsetOf(x);
  p[ConvParam.wei] = offsetOf(f);
  p[ConvParam.dst] = offsetOf(y);
  return p;
}

describeNative('the addon never touches memory outside the heap: bad offsets, stale views, heap growth', () => {
  let addon: NativeAddon;
  beforeAll(async () => {
    await setupNative();
    addon = loadAddon().addon!;
  });

  it('bad offsets and sizes throw RangeError and leave the process working', () => {
    const x = tf.ones([1, 4, 4, 2]);
    const f = tf.ones([3, 3, 2, 2]);
    const y = tf.zeros([1, 4, 4, 2]);
    const heap = () => backend().wasm.HEAPU8.buffer as ArrayBuffer;
    const good = convParams(x, f, y);
    expect(addon.conv(heap(), good)).toBe(true);
    const bad = (slot: number, value: number) => {
      const p = good.slice();
      p[slot] = value;
      return () => addon.conv(heap(), p);
    };
    const len = heap().byteLength;
    expect(bad(ConvParam.src, len)).toThrow(RangeError);
    expect(bad(ConvParam.src, len)).toThrow(/outside the heap/);
    expect(bad(ConvParam.dst, len - 8)).toThrow(/outside the heap/); // starts inside, ends outside
    expect(bad(ConvParam.wei, 2 ** 40)).toThrow(RangeError);
    expect(bad(ConvParam.src, -4)).toThrow(/not a non-negative integer/);
    expect(bad(ConvParam.src, Number.NaN)).toThrow(RangeError);
    expect(bad(ConvParam.src, offsetOf(x) + 2)).toThrow(/not 4-byte aligned/);
    expect(bad(ConvParam.n, 2 ** 31)).toThrow(RangeError); // the implied tensor runs off the heap
    expect(bad(ConvParam.n, 0)).toThrow(RangeError);
    expect(bad(ConvParam.h, 1.5)).toThrow(RangeError);
    expect(bad(ConvParam.ho, 9)).toThrow(/output size/);
    expect(() => addon.conv(heap(), good.subarray(0, 10))).toThrow(TypeError);
    expect(() => addon.conv(heap(), new Float32Array(good) as never)).toThrow(TypeError);
    expect(() => addon.conv({} as never, good)).toThrow(TypeError);
    const mm = new Float64Array(MatMulParam.count);
    Object.assign(mm, { [MatMulParam.batchA]: 1, [MatMulParam.batchB]: 1, [MatMulParam.m]: 4, [MatMulParam.k]: 4, [MatMulParam.n]: 4, [MatMulParam.bias]: -1 });
    mm[MatMulParam.a] = offsetOf(x);
    mm[MatMulParam.b] = len; // out of bounds
    mm[MatMulParam.out] = offsetOf(y);
    expect(() => addon.matmul(heap(), mm)).toThrow(/outside the heap/);
    // Still fine afterwards, and y was computed once, correctly, by the good call.
    expect(addon.conv(heap(), good)).toBe(true);
    expect(Array.from(y.dataSync().slice(0, 2))).toEqual([8, 8]); // corner: 2x2 taps x 2 channels
    tf.dispose([x, f, y]);
  });

  it('a view of the heap taken before it grew is detached: RangeError, not a write into freed memory', () => {
    const x = tf.ones([1, 4, 4, 2]);
    const f = tf.ones([3, 3, 2, 2]);
    const y = tf.zeros([1, 4, 4, 2]);
    const stale = backend().wasm.HEAPU8.buffer as ArrayBuffer;
    const params = convParams(x, f, y);
    // Larger than the whole heap: it must grow.
    const big = tf.zeros([Math.ceil((stale.byteLength * 1.2) / 4)]);
    expect(backend().wasm.HEAPU8.buffer).not.toBe(stale);
    expect(stale.byteLength).toBe(0);
    expect(() => addon.conv(stale, params)).toThrow(/heap view is empty/);
    expect(addon.conv(backend().wasm.HEAPU8.buffer as ArrayBuffer, params)).toBe(true);
    tf.dispose([x, f, y, big]);
  });

  it('a kernel whose output allocation grows the heap reads the new heap (result equals cpu)', async () => {
    await tf.setBackend('wasm');
    const heapBefore = backend().wasm.HEAPU8.buffer;
    const co = Math.ceil((heapBefore.byteLength * 1.2) / (64 * 64 * 4));
    const xs = Float32Array.from({ length: 64 * 64 * 2 }, (_, i) => Math.sin(i));
    const fs = Float32Array.from({ length: 2 * co }, (_, i) => Math.cos(i));
    const before = nativeKernelStats().Conv2D?.native ?? 0;
    // (Read outside tidy: dataSync inside tidy walks the array element by element.)
    const run = () => {
      const y = tf.tidy(() => tf.conv2d(tf.tensor4d(xs, [1, 64, 64, 2]), tf.tensor4d(fs, [1, 1, 2, co]), 1, 'valid'));
      const values = y.dataSync();
      y.dispose();
      return values;
    };
    const onWasm = run();
    expect(backend().wasm.HEAPU8.buffer).not.toBe(heapBefore);
    expect(nativeKernelStats().Conv2D.native).toBe(before + 1);
    await tf.setBackend('cpu');
    expect(relErr(onWasm, run())).toBeLessThan(TOL);
    await tf.setBackend('wasm');
  });

  it("a tensor at address 0 (wasm malloc's failure value when the 4 GB heap is full) is refused", async () => {
    await tf.setBackend('wasm');
    const be = tf.findBackend('wasm') as unknown as { makeOutput(shape: number[], dtype: string, offset: number): tf.TensorInfo; disposeData(id: object): void };
    const x = be.makeOutput([1, 4, 4, 2], 'float32', 0);
    const f = tf.ones([3, 3, 2, 2]);
    const kernel = tf.getKernel('Conv2D', 'wasm')!;
    expect(() => kernel.kernelFunc({ inputs: { x, filter: f } as never, backend: tf.findBackend('wasm')!, attrs: { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' } })).toThrow(/heap is exhausted/);
    f.dispose();
  });

  it('a libdnnl without the expected symbols fails the load with a catchable error, not a crash at the first call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hrnet-stub-dnnl-'));
    try {
      writeFileSync(join(dir, 'stub.c'), 'void hrnet_stub(void) {}\n');
      try {
        execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libdnnl.so.2'), join(dir, 'stub.c')], { stdio: 'ignore' });
      } catch {
        return; // no C compiler here: nothing to check with
      }
      const addonPath = fileURLToPath(new URL('../build/hrnet_native.node', import.meta.url));
      const script = `try { require(${JSON.stringify(addonPath)}).info(); console.log('loaded'); } catch (e) { console.log('caught: ' + e.message); }`;
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, LD_LIBRARY_PATH: dir }, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/caught: .*undefined symbol: dnnl_/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a disposed input is refused before the addon is called', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 4, 4, 2]);
    const f = tf.ones([3, 3, 2, 2]);
    const info = { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    x.dispose();
    const kernel = tf.getKernel('Conv2D', 'wasm')!;
    expect(() => kernel.kernelFunc({ inputs: { x: info, filter: f } as never, backend: tf.findBackend('wasm')!, attrs: { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' } })).toThrow(/not on the wasm heap/);
    f.dispose();
  });
});
