import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { describeImportError } from '../describe-import-error.js';
import { chooseAdapter, parseAdapterList, type AdapterEntry, type AdapterSpec } from './adapter-choice.js';
import { ensureXdgRuntimeDir, installNavigatorGpu, loadDawn, type DawnAdapter, type DawnModule } from './dawn.js';
import { probeDefaultAdapter } from './hardware-probe.js';
import { guardSyncReads } from './sync-reads.js';
import { describeVulkanIcds } from './vulkan-icds.js';

/**
 * tfjs's `webgpu` backend (`@tensorflow/tfjs-backend-webgpu`) on Dawn for Node (`webgpu`), both optional
 * dependencies loaded at run time: adapter listing and choice, the one-line reasons when it cannot run.
 */

const TFJS_WEBGPU = '@tensorflow/tfjs-backend-webgpu';
/** A name no adapter has: Dawn then rejects `requestAdapter` with its list of available adapters. */
const LIST_FLAG = 'adapter=<hrnet: list adapters>';
const INSTALL_HINT =
  'install a Vulkan driver and loader (Debian/Ubuntu: `apt-get install libvulkan1` plus the GPU vendor driver, e.g. the NVIDIA driver, ' +
  'or `mesa-vulkan-drivers` >= 23, from bookworm-backports on Debian 12, for the lavapipe software adapter)';

let adapters: Promise<AdapterEntry[]> | undefined;
let tfjsWebgpu: Promise<{ WebGPUBackend?: unknown; reason?: string }> | undefined;
/** Dawn flags of the GPU the registered 'webgpu' backend was created on. */
let backendFlags: string | undefined;

/**
 * One Dawn instance per flag set, kept for the life of the process: dawn.node keeps polling an instance's
 * events after JS drops it, and a collected instance is then used after free (a segfault, seen when
 * each initBackend call made a new one and a busy heap collected the old).
 */
const instances = new Map<string, ReturnType<DawnModule['create']>>();
function dawnInstance(mod: DawnModule, flags: string[]): ReturnType<DawnModule['create']> {
  const key = flags.join('\n');
  let gpu = instances.get(key);
  if (!gpu) instances.set(key, (gpu = mod.create(flags)));
  return gpu;
}

/** The adapters Dawn can use, in Dawn's order (indices for `initBackend('webgpu', { adapter })`). */
function listWith(mod: DawnModule): Promise<AdapterEntry[]> {
  adapters ??= dawnInstance(mod, [LIST_FLAG])
    .requestAdapter()
    .then(
      () => [],
      (e: unknown) => parseAdapterList(String((e as Error)?.message ?? e)),
    );
  return adapters;
}

/** The adapters Dawn sees here; [] when `webgpu` is not installed or no Vulkan/Metal/D3D12 driver works. */
export async function listWebgpuAdapters(): Promise<AdapterEntry[]> {
  const { mod } = await loadDawn();
  return mod ? listWith(mod) : [];
}

function vulkanLoaderNote(): string {
  if (process.platform !== 'linux') return '';
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`)) || process.env.LD_LIBRARY_PATH ? '' : `no libvulkan.so.1 in ${dirs.join(', ')}; `;
}

/** A CPU rasteriser posing as a GPU (lavapipe/llvmpipe, SwiftShader, WARP). */
export function isSoftwareAdapter(a: Pick<DawnAdapter, 'info' | 'isFallbackAdapter'>): boolean {
  return a.info.architecture === 'software' || a.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|microsoft basic render/i.test(`${a.info.device} ${a.info.description}`);
}

function loadTfjsWebgpu(): Promise<{ WebGPUBackend?: unknown; reason?: string }> {
  tfjsWebgpu ??= (async () => {
    try {
      const m = (await import(/* @vite-ignore */ TFJS_WEBGPU)) as { WebGPUBackend?: unknown; default?: { WebGPUBackend?: unknown } };
      return { WebGPUBackend: m.WebGPUBackend ?? m.default?.WebGPUBackend };
    } catch (e) {
      return { reason: describeImportError(TFJS_WEBGPU, e) };
    }
  })();
  return tfjsWebgpu;
}

export interface WebgpuResult {
  ok: boolean;
  detail: string;
  reason?: string;
}

/**
 * Sets Dawn up as `navigator.gpu` on the chosen adapter and switches tfjs to 'webgpu'. `allowSoftware`
 * false ('auto') refuses a software adapter: lavapipe trains far slower than the CPU backends.
 */
export async function useWebgpu(spec: AdapterSpec | undefined, allowSoftware: boolean): Promise<WebgpuResult> {
  const fail = (reason: string): WebgpuResult => ({ ok: false, detail: '', reason });
  if (!allowSoftware && spec === undefined) {
    // 'auto': look at the default adapter out of process first; a software-only machine never loads Dawn here.
    ensureXdgRuntimeDir();
    const probed = await probeDefaultAdapter();
    // No answer (no adapter, a crash, or a probe slower than its limit on a loaded machine): Dawn is not loaded
    // here either, or its driver warnings would reach the user's stderr.
    if (!probed) return fail('no WebGPU adapter seen by the out-of-process probe (or no answer from it in 20 s)');
    if (isSoftwareAdapter({ info: { ...probed, vendor: '' }, isFallbackAdapter: probed.isFallbackAdapter })) {
      return fail(`only a software adapter (${probed.description || probed.device}): slower than the CPU backends; initBackend('webgpu') uses it anyway`);
    }
  }
  const { mod, reason } = await loadDawn();
  if (!mod) return fail(reason!);
  const list = await listWith(mod);
  if (list.length === 0) return fail(`no WebGPU adapter: ${vulkanLoaderNote()}${describeVulkanIcds()}; ${INSTALL_HINT}`);
  let flags: string[] = [];
  if (spec !== undefined) {
    try {
      const i = chooseAdapter(list, spec);
      flags = [`backend=${list[i].backend}`, `adapter=${list[i].name}`];
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  const gpu = dawnInstance(mod, flags);
  // The options tfjs-backend-webgpu's factory asks with, so both see the same adapter.
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return fail(`Dawn returned no adapter for ${flags.join(' ') || 'the default choice'}; adapters: ${list.map((a) => a.name).join(', ')}`);
  const { info } = adapter;
  const name = info.description || info.device || 'unknown adapter';
  if (isSoftwareAdapter(adapter) && !allowSoftware) {
    return fail(`only a software adapter (${name}): slower than the CPU backends; initBackend('webgpu') uses it anyway`);
  }
  // tfjs-backend-webgpu registers its factory on import only where navigator.gpu exists: set it up first.
  installNavigatorGpu(gpu);
  const tfw = await loadTfjsWebgpu();
  if (!tfw.WebGPUBackend) return fail(tfw.reason ?? `${TFJS_WEBGPU} exports no WebGPUBackend`);
  const factory = tf.findBackendFactory('webgpu');
  if (!factory) return fail(`${TFJS_WEBGPU} registered no 'webgpu' backend (a second copy of @tensorflow/tfjs?)`);
  const key = flags.join('\n');
  if (backendFlags !== undefined && backendFlags !== key) {
    // Another adapter than the live backend's: a fresh backend on the new navigator.gpu.
    // tfjs must not dispose the backend it runs on: park on cpu while the adapter changes.
    if (tf.getBackend() === 'webgpu') await tf.setBackend('cpu');
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, 3);
  }
  guardSyncReads(tfw.WebGPUBackend as Parameters<typeof guardSyncReads>[0]);
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) return fail(`the 'webgpu' backend failed to initialise on ${name}`);
  await tf.ready();
  backendFlags = key;
  const features = [...adapter.features].sort();
  const f16 = features.includes('shader-f16') ? 'shader-f16' : 'no shader-f16';
  return {
    ok: true,
    detail: `${name} (${[spec === undefined ? undefined : list[chooseAdapter(list, spec)].backend, info.architecture, info.vendor].filter(Boolean).join(', ')}; ${f16}; ` +
      `maxBufferSize ${Math.round(adapter.limits.maxBufferSize / 2 ** 20)} MiB; features: ${features.join(' ') || 'none'})`,
  };
}
