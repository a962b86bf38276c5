import * as tf from '@tensorflow/tfjs';
import { loadAddon, loadedWaitPolicy, type LoadOptions, type NativeAddon } from './addon.js';
import type { KernelArgs, KernelContext, NativeKernel } from './kernels/common.js';
import { convKernels } from './kernels/conv.js';
import { batchNormKernels } from './kernels/batchnorm.js';
import { eltwiseKernels } from './kernels/eltwise.js';
import { installGradients, restoreGradients } from './gradients.js';
import { matmulKernels } from './kernels/matmul.js';

/** Marks our kernel configs in tf's (global) kernel registry. */
const NATIVE = '__hrnetNativeKernel';
/**
 * The marker @hrnet/core puts on its wasm training kernels. A native kernel that replaces one of them
 * keeps it, so `wasmTrainingKernelsRegistered()` stays true and `registerWasmTrainingKernels()` leaves the
 * native kernel in place (the core kernel stays reachable as our fallback).
 */
const CORE_MARK = '__hrnetTrainingKernel';

type Config = tf.KernelConfig & { [NATIVE]?: boolean; [CORE_MARK]?: boolean };

interface State {
  /** Kernel name → the config ours replaced (undefined: there was none). */
  previous: Map<string, Config | undefined>;
  stats: Map<string, { native: number; fallback: number }>;
  /** Kernel name → tfjs's gradient config that ours replaced. */
  gradients: Map<string, tf.GradConfig>;
}

const STATE_KEY = Symbol.for('@hrnet/backend-native:state');

/** Shared by every copy of this module: tf's kernel registry is global, so our record of it must be too. */
function state(): State {
  const g = globalThis as unknown as Record<symbol, State | undefined>;
  return (g[STATE_KEY] ??= { previous: new Map(), stats: new Map(), gradients: new Map() });
}

export interface NativeStatus {
  available: boolean;
  /** Why the addon cannot be used (when not available). */
  reason?: string;
  /** oneDNN version, e.g. '2.6.3'. */
  onednn?: string;
  /** OpenMP threads oneDNN runs with. */
  threads?: number;
  /** OpenMP wait policy the process started with ('passive' or 'active'). */
  waitPolicy?: string;
}

/** Loads the addon if needed and says whether it works, and if not, why (one line). */
export function nativeStatus(opts: LoadOptions = {}): NativeStatus {
  const { addon, reason } = loadAddon(opts);
  if (!addon) return { available: false, reason };
  const info = addon.info();
  return { available: true, onednn: info.onednn, threads: info.threads, waitPolicy: loadedWaitPolicy() };
}

/** True when the addon is built and loads (oneDNN and OpenMP runtimes present). */
export function nativeAvailable(): boolean {
  return nativeStatus().available;
}

/** Options of {@link registerNativeKernels}: the thread count, the wait policy of the first load. */
export interface RegisterNativeOptions extends LoadOptions {
  /** Kernel names to leave to the existing kernels (diagnostics, A/B measurements). */
  exclude?: readonly string[];
}

function context(addon: NativeAddon): KernelContext {
  const s = state();
  return {
    addon,
    fallback(name: string, args: KernelArgs) {
      const prev = s.previous.get(name);
      if (!prev) {
        throw new Error(
          `@hrnet/backend-native: ${name} needs the stock kernel for these arguments, but the wasm backend has none ` +
            `(register @hrnet/core's training kernels before the native ones, as initBackend('native') does)`,
        );
      }
      return prev.kernelFunc(args as never) as tf.TensorInfo;
    },
    count(name: string, native: boolean) {
      let c = s.stats.get(name);
      if (!c) s.stats.set(name, (c = { native: 0, fallback: 0 }));
      if (native) c.native++;
      else c.fallback++;
    },
  };
}

/** The kernels this package provides, by tfjs kernel name. */
export const NATIVE_KERNEL_NAMES: readonly string[] = Object.keys({
  ...convKernels(undefined as never),
  ...matmulKernels(undefined as never),
  ...eltwiseKernels(undefined as never),
  ...batchNormKernels(undefined as never),
});

/**
 * Registers the oneDNN kernels for tfjs's `wasm` backend, replacing (and keeping as fallbacks for the
 * attribute combinations they do not handle) whatever was registered under those names: tfjs's own
 * kernels, or @hrnet/core's wasm training kernels, which should be registered first. Idempotent.
 * Throws, with the reason, when the addon cannot load. Needs `@tensorflow/tfjs-backend-wasm` imported.
 *
 * `threads` can be changed by calling again; the wait policy is fixed by the first load.
 */
export function registerNativeKernels(opts: RegisterNativeOptions = {}): NativeStatus {
  const { addon, reason } = loadAddon(opts);
  if (!addon) throw new Error(`@hrnet/backend-native: ${reason}`);
  if (opts.threads !== undefined) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`registerNativeKernels: threads must be a positive integer, got ${opts.threads}`);
    addon.setThreads(opts.threads);
  }
  if (!tf.getKernel('Conv2D', 'wasm')) {
    throw new Error("registerNativeKernels: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first");
  }
  const s = state();
  const ctx = context(addon);
  const kernels: Record<string, NativeKernel> = { ...convKernels(ctx), ...matmulKernels(ctx), ...eltwiseKernels(ctx), ...batchNormKernels(ctx) };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (opts.exclude?.includes(kernelName)) continue;
    const existing = tf.getKernel(kernelName, 'wasm') as Config | undefined;
    if (existing?.[NATIVE]) continue;
    s.previous.set(kernelName, existing);
    if (existing) tf.unregisterKernel(kernelName, 'wasm');
    const config: Config = {
      kernelName,
      backendName: 'wasm',
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
      // The fallback must still be set up when the backend initialises.
      setupFunc: existing?.setupFunc,
      [NATIVE]: true,
    };
    if (existing?.[CORE_MARK]) config[CORE_MARK] = true;
    tf.registerKernel(config);
  }
  installGradients(s.gradients, gradientsActive);
  return nativeStatus();
}

/** Puts back the kernels {@link registerNativeKernels} replaced. Idempotent. */
export function unregisterNativeKernels(): void {
  const s = state();
  for (const [name, prev] of s.previous) {
    const current = tf.getKernel(name, 'wasm') as Config | undefined;
    if (!current?.[NATIVE]) continue;
    tf.unregisterKernel(name, 'wasm');
    if (prev) tf.registerKernel(prev);
  }
  s.previous.clear();
  restoreGradients(s.gradients);
}

/** Our gradient functions use the native kernels only on the wasm backend while they are registered. */
function gradientsActive(): boolean {
  return state().previous.size > 0 && tf.getBackend() === 'wasm';
}

/** True while our kernels are the registered wasm kernels. */
export function nativeKernelsRegistered(): boolean {
  return NATIVE_KERNEL_NAMES.every((name) => (tf.getKernel(name, 'wasm') as Config | undefined)?.[NATIVE] === true);
}

/** Per kernel: calls run natively and calls passed to the fallback, since the last reset. */
export function nativeKernelStats(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...state().stats].map(([k, v]) => [k, { ...v }]));
}

export function resetNativeKernelStats(): void {
  state().stats.clear();
}
