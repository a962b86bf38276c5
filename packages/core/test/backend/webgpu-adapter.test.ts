/**
 * WebGPU adapter listing, choice and per-rank assignment (pure functions, fake adapter lists), and the
 * one-line reasons initBackend gives when webgpu cannot run (no driver: a child process whose Vulkan
 * loader is pointed at no ICD), with 'auto' falling through; synchronous reads of webgpu tensors in Node.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adapterIndexForRank, chooseAdapter, parseAdapterList, type AdapterEntry } from '../../src/backend/webgpu/adapter-choice.js';
import { describeVulkanIcds } from '../../src/backend/webgpu/vulkan-icds.js';
import { initBackend, listWebgpuAdapters } from '../../src/backend/index.js';

const H100 = 'NVIDIA H100 80GB HBM3';
const eightH100: AdapterEntry[] = Array.from({ length: 8 }, () => ({ backend: 'vulkan', name: H100 }));
const mixed: AdapterEntry[] = [
  { backend: 'vulkan', name: 'NVIDIA GeForce RTX 4090' },
  { backend: 'vulkan', name: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' },
  { backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
];

describe('WebGPU adapter choice', () => {
  it("parses Dawn's 'Available adapters' list (the message dawn.node rejects an unmatched adapter= with)", () => {
    const msg = "no suitable backends found\nAvailable adapters:\n * backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)'\n * backend: 'vulkan', name: 'NVIDIA H100 80GB HBM3'\n";
    expect(parseAdapterList(msg)).toEqual([
      { backend: 'vulkan', name: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
      { backend: 'vulkan', name: H100 },
    ]);
    expect(parseAdapterList('no suitable backends found')).toEqual([]);
  });

  it('chooses by index or by a case-insensitive part of the name; says what exists when nothing matches', () => {
    expect(chooseAdapter(mixed, 1)).toBe(1);
    expect(chooseAdapter(mixed, 'radeon')).toBe(1);
    expect(chooseAdapter(mixed, 'LLVMPIPE')).toBe(2);
    expect(() => chooseAdapter(mixed, 3)).toThrow(/adapter index 3 is out of range; adapters: 0: NVIDIA GeForce RTX 4090 \(vulkan\); 1: AMD/);
    expect(() => chooseAdapter(mixed, 'intel')).toThrow(/no adapter name contains 'intel'/);
    expect(() => chooseAdapter(mixed, 'r')).toThrow(/adapter 'r' is ambiguous/);
    expect(() => chooseAdapter([], 0)).toThrow(/no adapters/);
  });

  it('identical names: the first is usable, a later index is refused (Dawn selects by name) with what to do instead', () => {
    expect(chooseAdapter(eightH100, 0)).toBe(0);
    expect(chooseAdapter(eightH100, 'h100')).toBe(0);
    expect(() => chooseAdapter(eightH100, 3)).toThrow(/adapter 3 has the same name as adapter 0 .*one process per GPU/);
  });

  it('rank → adapter: rank modulo the adapter count, or the --device list indexed by rank', () => {
    expect([0, 1, 2, 3, 4].map((r) => adapterIndexForRank(r, 2))).toEqual([0, 1, 0, 1, 0]);
    expect([0, 1].map((r) => adapterIndexForRank(r, 1))).toEqual([0, 0]); // two ranks on lavapipe's one adapter
    expect([0, 1].map((r) => adapterIndexForRank(r, 8, [6, 7]))).toEqual([6, 7]);
    expect(() => adapterIndexForRank(2, 8, [6, 7])).toThrow(/rank 2 has no entry in --device 6,7/);
    expect(() => adapterIndexForRank(0, 2, [5])).toThrow(/--device entry 5 for rank 0 is not an adapter index \(0..1\)/);
    expect(() => adapterIndexForRank(-1, 2)).toThrow(/non-negative integer/);
    expect(() => adapterIndexForRank(0, 0)).toThrow(/no adapters/);
  });

  it('names the Vulkan ICDs it looked at', () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
    try {
      expect(describeVulkanIcds()).toBe('Vulkan ICDs from VK_DRIVER_FILES/VK_ICD_FILENAMES: /nonexistent/icd.json');
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
    expect(describeVulkanIcds()).toMatch(/^(Vulkan ICDs found: .*\.json|no Vulkan ICD in .*icd\.d)/);
  });
});

describe("initBackend('webgpu') reasons", () => {
  it('an adapter index that does not exist: one line listing the adapters', async () => {
    const adapters = await listWebgpuAdapters();
    if (adapters.length === 0) {
      await expect(initBackend('webgpu', { log: () => {}, adapter: 0 })).rejects.toThrow(/^initBackend\('webgpu'\): (no WebGPU adapter|webgpu not installed)/);
      return;
    }
    await expect(initBackend('webgpu', { log: () => {}, adapter: adapters.length })).rejects.toThrow(
      new RegExp(`^initBackend\\('webgpu'\\): webgpu: adapter index ${adapters.length} is out of range; adapters: 0: `),
    );
  });

  it("no Vulkan driver: 'webgpu' throws one line naming the ICDs and what to install; 'auto' falls through", () => {
    const entry = fileURLToPath(new URL('../../src/backend/index.ts', import.meta.url));
    const code = `
      const { initBackend } = await import(${JSON.stringify(entry)});
      const lines = [];
      try { await initBackend('webgpu', { log: (m) => lines.push(m) }); lines.push('NO ERROR'); } catch (e) { lines.push('ERR ' + e.message); }
      await initBackend('auto', { log: (m) => lines.push(m) });
      console.log(JSON.stringify(lines));`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    });
    const last = run.stdout.trim().split('\n').pop() ?? '';
    expect(run.status, run.stderr.slice(-500)).toBe(0);
    const [err, auto] = JSON.parse(last) as string[];
    expect(err).toMatch(/^ERR initBackend\('webgpu'\): (no WebGPU adapter: .*VK_ICD_FILENAMES: \/nonexistent\/icd\.json; install a Vulkan driver and loader .*libvulkan1|webgpu not installed)/);
    expect(err.split('\n')).toHaveLength(1);
    expect(auto).toMatch(/^\[hrnet\] backend: (wasm|wasm \+ native) .*skipped webgpu: (no WebGPU adapter|webgpu not installed)/);
  });
});

const hasAdapter = (await listWebgpuAdapters()).length > 0;
describe(`webgpu tensors in Node${hasAdapter ? '' : ' [SKIPPED: no WebGPU adapter]'}`, () => {
  it.skipIf(!hasAdapter)('a synchronous read of GPU-resident data throws one clear line; async reads work and cache; cpu → webgpu moves work', async () => {
    await initBackend('cpu', { log: () => {} });
    const onCpu = tf.tensor1d([1, -2, 3]);
    await initBackend('webgpu', { log: () => {} });
    const y = tf.relu(tf.mul(onCpu, 2)); // computed on the GPU from a tensor that moved cpu → webgpu
    expect(() => y.dataSync()).toThrow(/^webgpu in Node cannot read a tensor synchronously .*use `await tensor.data\(\)`/);
    expect(() => y.arraySync()).toThrow(/cannot read a tensor synchronously/);
    expect(Array.from(await y.data())).toEqual([2, 0, 6]);
    // Read once asynchronously, the values are cached on the CPU side: later synchronous reads work.
    expect(Array.from(y.dataSync())).toEqual([2, 0, 6]);
    // Not yet uploaded (created from values, never used by a kernel): readable synchronously.
    const fresh = tf.tensor1d([4, 5]);
    expect(Array.from(fresh.dataSync())).toEqual([4, 5]);
    tf.dispose([onCpu, y, fresh]);
  });
});
