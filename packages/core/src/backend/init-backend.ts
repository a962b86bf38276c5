import * as tf from '@tensorflow/tfjs';
import { registerCpuKernelFixes } from './cpu-kernel-fixes.js';
import { describeImportError } from './describe-import-error.js';
import { guardWasmHeap } from './wasm-heap-guard.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';
import type { AdapterSpec } from './webgpu/adapter-choice.js';
import { disableWebgpuF16Convolutions, enableWebgpuF16Convolutions } from './webgpu/f16-convolutions.js';
import { useWebgpu } from './webgpu/webgpu-backend.js';

/** The backends `initBackend` takes, `auto` first (for config schemas: `z.enum(BACKEND_KINDS)`). */
export const BACKEND_KINDS = ['auto', 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

export interface InitBackendOptions {
  /** Receives the one-line report of the choice; default `console.info`. */
  log?: (msg: string) => void;
  /** 'native' (and 'auto' when it picks native): oneDNN's thread count; default all cores. */
  threads?: number;
  /**
   * 'webgpu' (and 'auto'): the adapter, as its index in {@link listWebgpuAdapters} or part of its name;
   * default Dawn's choice (a high-performance GPU first). For one GPU per training rank see `adapterIndexForRank`.
   */
  adapter?: AdapterSpec;
  /**
   * Mixed precision (`--amp`): on 'webgpu' with an adapter that has `shader-f16`, convolutions run with f16
   * tiles and f32 accumulation ({@link enableWebgpuF16Convolutions}); everywhere else compute stays float32.
   * Logs one line saying which. Without it, webgpu's convolutions are (put back to) tfjs's float32 ones.
   */
  amp?: boolean;
}

/** The optional native bindings, best first. Both register tf's 'tensorflow' backend. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

interface Probe {
  ok: boolean;
  /** The package that provided the backend, when ok. */
  pkg?: string;
  /** Why each package could not be used. */
  reasons: string[];
}

let tensorflowProbe: Promise<Probe> | undefined;

/** What we use of the optional `@hrnet/backend-native` (oneDNN kernels for the wasm backend). */
interface NativeModule {
  nativeStatus(): { available: boolean; reason?: string; onednn?: string; threads?: number; waitPolicy?: string };
  registerNativeKernels(opts: { threads?: number }): { onednn?: string; threads?: number; waitPolicy?: string };
  unregisterNativeKernels(): void;
}
const NATIVE_PACKAGE = '@hrnet/backend-native';
let nativeProbe: Promise<{ mod?: NativeModule; reason?: string }> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Imports the first tfjs-node package that loads and registers 'tensorflow'; memoised. */
function probeTensorflow(): Promise<Probe> {
  tensorflowProbe ??= (async (): Promise<Probe> => {
    if (tf.findBackendFactory('tensorflow')) return { ok: true, pkg: "already registered 'tensorflow' backend", reasons: [] };
    const reasons: string[] = [];
    for (const pkg of TENSORFLOW_PACKAGES) {
      try {
        // A variable specifier: bundlers must not try to resolve these optional peers.
        await import(/* @vite-ignore */ pkg);
      } catch (e) {
        reasons.push(describeImportError(pkg, e));
        continue;
      }
      if (tf.findBackendFactory('tensorflow')) return { ok: true, pkg, reasons };
      reasons.push(`${pkg} loaded but registered no 'tensorflow' backend (a second copy of @tensorflow/tfjs?)`);
    }
    return { ok: false, reasons };
  })();
  return tensorflowProbe;
}

async function useTensorflow(): Promise<{ ok: boolean; gpu?: boolean; detail: string; reasons: string[] }> {
  const probe = await probeTensorflow();
  if (!probe.ok) return { ok: false, detail: '', reasons: probe.reasons };
  if (tf.getBackend() === 'tensorflow' || (await tf.setBackend('tensorflow'))) {
    return { ok: true, gpu: probe.pkg === TENSORFLOW_PACKAGES[0], detail: `native TensorFlow via ${probe.pkg}`, reasons: probe.reasons };
  }
  return { ok: false, detail: '', reasons: [...probe.reasons, `${probe.pkg} loaded but the 'tensorflow' backend failed to initialise`] };
}

async function useWasm(): Promise<string> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new Error(`initBackend: ${describeImportError('@tensorflow/tfjs-backend-wasm', e)}`);
  }
  // Plain wasm: put back the kernels a previous initBackend('native') replaced.
  (await nativeProbe)?.mod?.unregisterNativeKernels();
  registerWasmTrainingKernels();
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new Error("initBackend: the 'wasm' backend failed to initialise (is the .wasm binary reachable? see setWasmPaths)");
  }
  await tf.ready();
  guardWasmHeap();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `XNNPACK${simd ? ' SIMD' : ''}${threads ? ' multi-threaded' : ', 1 thread'}, training kernels registered`;
}

/** Imports `@hrnet/backend-native` once and checks that its addon loads; the reason when not. */
function probeNative(): Promise<{ mod?: NativeModule; reason?: string }> {
  nativeProbe ??= (async () => {
    let mod: NativeModule;
    try {
      mod = (await import(/* @vite-ignore */ NATIVE_PACKAGE)) as NativeModule;
    } catch (e) {
      return { reason: describeImportError(NATIVE_PACKAGE, e) };
    }
    const status = mod.nativeStatus();
    return status.available ? { mod } : { mod, reason: `${NATIVE_PACKAGE}: ${status.reason}` };
  })();
  return nativeProbe;
}

/** The wasm backend with our training kernels, then the oneDNN kernels over them. */
async function useNative(threads: number | undefined): Promise<{ ok: boolean; detail: string; reason?: string }> {
  const probe = await probeNative();
  if (!probe.mod || probe.reason) return { ok: false, detail: '', reason: probe.reason };
  try {
    const wasm = await useWasm();
    const s = probe.mod.registerNativeKernels({ threads });
    return { ok: true, detail: `oneDNN ${s.onednn} kernels, ${s.threads} thread${s.threads === 1 ? '' : 's'}, ${s.waitPolicy} wait; ${wasm}` };
  } catch (e) {
    return { ok: false, detail: '', reason: (e as Error).message };
  }
}

async function useCpu(): Promise<void> {
  registerCpuKernelFixes();
  if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error("initBackend: the 'cpu' backend failed to initialise");
  await tf.ready();
}

/** What the last successful initBackend chose ('native' where tfjs reports 'wasm'). */
let active: ActiveBackend | undefined;

/** The backend in use after {@link initBackend}: the kind it chose (not 'auto') and its one-line description. */
export interface ActiveBackend {
  kind: Exclude<BackendKind, 'auto'>;
  description: string;
}

/** What {@link initBackend} chose last, or undefined before it has run. */
export function activeBackend(): ActiveBackend | undefined {
  return active;
}

/** Logs the choice and records it for {@link activeBackend}; returns tfjs's backend name. */
function chose(kind: ActiveBackend['kind'], description: string, log: (msg: string) => void): string {
  active = { kind, description };
  log(`[hrnet] backend: ${description}`);
  return kind === 'native' ? 'wasm' : kind;
}

async function init(kind: BackendKind, log: (msg: string) => void, opts: InitBackendOptions): Promise<string> {
  const { threads } = opts;
  switch (kind) {
    case 'tensorflow': {
      const t = await useTensorflow();
      if (!t.ok) {
        throw new Error(
          `initBackend('tensorflow'): no native TensorFlow backend: ${t.reasons.join('; ')}. ` +
            `Install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA), or use initBackend('wasm').`,
        );
      }
      return chose('tensorflow', `tensorflow (${t.detail})`, log);
    }
    case 'webgpu': {
      const w = await useWebgpu(opts.adapter, true);
      if (!w.ok) throw new Error(`initBackend('webgpu'): ${w.reason}. Use initBackend('auto') to fall back to the CPU backends.`);
      return chose('webgpu', `webgpu on ${w.detail}`, log);
    }
    case 'native': {
      const n = await useNative(threads);
      if (!n.ok) throw new Error(`initBackend('native'): ${n.reason}. Use initBackend('wasm') or 'auto'.`);
      return chose('native', `wasm + native (${n.detail})`, log);
    }
    case 'wasm':
      return chose('wasm', `wasm (${await useWasm()})`, log);
    case 'cpu':
      await useCpu();
      return chose('cpu', 'cpu (plain JS; slow, for tests and debugging)', log);
    case 'auto': {
      const t = await useTensorflow();
      // A CUDA TensorFlow first; a hardware WebGPU adapter beats tfjs-node's CPU kernels.
      if (t.ok && t.gpu) {
        return chose('tensorflow', `tensorflow (${t.detail})${t.reasons.length ? `; skipped ${t.reasons.join('; ')}` : ''}`, log);
      }
      const w = await useWebgpu(opts.adapter, false);
      const skippedTf = t.ok ? '' : `skipped tensorflow: ${t.reasons.join('; ')}; `;
      if (w.ok) return chose('webgpu', `webgpu on ${w.detail}; ${skippedTf}`.replace(/; $/, ''), log);
      if (t.ok) {
        if (tf.getBackend() !== 'tensorflow') await tf.setBackend('tensorflow');
        return chose('tensorflow', `tensorflow (${t.detail}); skipped webgpu: ${w.reason}`, log);
      }
      const skippedGpu = `${skippedTf}skipped webgpu: ${w.reason}`;
      const n = await useNative(threads);
      if (n.ok) {
        return chose('native', `wasm + native (${n.detail}); ${skippedGpu}`, log);
      }
      const skipped = `${skippedGpu}; skipped native: ${n.reason}`;
      try {
        return chose('wasm', `wasm (${await useWasm()}); ${skipped}`, log);
      } catch (e) {
        await useCpu();
        return chose('cpu', `cpu (slow); ${skipped}; skipped wasm: ${(e as Error).message}`, log);
      }
    }
    default:
      throw new Error(`initBackend: unknown backend kind '${String(kind)}'; use 'auto', 'tensorflow', 'webgpu', 'native', 'wasm' or 'cpu'`);
  }
}

/** `amp`: f16 convolutions where the backend can (webgpu with shader-f16), else one line saying float32 stays. */
function setPrecision(backend: string, amp: boolean, log: (msg: string) => void): void {
  if (backend === 'webgpu' && !amp) disableWebgpuF16Convolutions();
  if (!amp) return;
  if (backend !== 'webgpu') log(`[hrnet] amp: float32 compute (TF.js has no float16 path on ${active?.kind ?? backend})`);
  else if (enableWebgpuF16Convolutions()) log('[hrnet] amp: float16 convolutions and convolution gradients on webgpu (f16 tiles, f32 accumulation); other ops float32');
  else log('[hrnet] amp: float32 kept on webgpu: the adapter lacks shader-f16');
}

/**
 * Selects and initialises the tfjs backend; returns its name.
 *
 * - 'auto': `@tensorflow/tfjs-node-gpu`, then WebGPU on a hardware adapter (never a software one such as
 *   lavapipe: slower than the CPU backends), then `@tensorflow/tfjs-node` (optional peers, loaded only if
 *   installed), then native (`@hrnet/backend-native`'s oneDNN kernels on the wasm backend, when installed
 *   and its addon loads), then `wasm` with our training kernels ({@link registerWasmTrainingKernels}),
 *   then `cpu`. Logs one line naming the choice and why the better ones were skipped.
 * - 'tensorflow': throws a clear error when neither tfjs-node package is installed.
 * - 'webgpu': `@tensorflow/tfjs-backend-webgpu` on Dawn (`webgpu`, optional dependencies) as `navigator.gpu`,
 *   on `opts.adapter` (index or name), software adapters included; throws one line (the Vulkan ICDs it saw,
 *   what to install) when there is no adapter. In Node, webgpu tensors are read with `await t.data()`:
 *   synchronous reads throw (see `sync-reads.ts`).
 * - 'native': throws, saying why, when `@hrnet/backend-native` is missing or its addon cannot load.
 *   Runs on tfjs's 'wasm' backend, so it returns 'wasm'; `threads` sets oneDNN's thread count.
 * - 'wasm': registers the training kernels too. 'cpu': the plain-JS reference backend.
 * - `amp`: float16 convolutions on webgpu where the adapter has `shader-f16`; one line says what runs.
 *
 * Safe to call repeatedly and concurrently: calls run one after another, and the probe of the native
 * packages is done once.
 */
export function initBackend(kind: BackendKind = 'auto', opts: InitBackendOptions = {}): Promise<string> {
  const log = opts.log ?? ((msg: string) => console.info(msg));
  const result = queue.then(async () => {
    const name = await init(kind, log, opts);
    setPrecision(name, opts.amp === true, log);
    return name;
  });
  queue = result.catch(() => undefined);
  return result;
}
