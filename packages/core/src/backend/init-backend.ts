import * as tf from '@tensorflow/tfjs';
import { registerCpuKernelFixes } from './cpu-kernel-fixes.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

export type BackendKind = 'auto' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Receives the one-line report of the choice; default `console.info`. */
  log?: (msg: string) => void;
  /** 'native' (and 'auto' when it picks native): oneDNN's thread count; default all cores. */
  threads?: number;
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

function describeImportError(pkg: string, e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  // Node: ERR_MODULE_NOT_FOUND "Cannot find package"; bundlers/vite: "Could not resolve ... Is it installed?".
  const notFound =
    err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Could not resolve|Failed to resolve/.test(msg);
  // A missing dependency *of* the package (a broken install) must not read as "not installed".
  if (notFound && new RegExp(`['"]${pkg.replace(/[/.-]/g, '\\$&')}['"/]`).test(msg)) return `${pkg} not installed`;
  return `${pkg} failed to load (${msg.split('\n')[0]})`;
}

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

async function useTensorflow(): Promise<{ ok: boolean; detail: string; reasons: string[] }> {
  const probe = await probeTensorflow();
  if (!probe.ok) return { ok: false, detail: '', reasons: probe.reasons };
  if (tf.getBackend() === 'tensorflow' || (await tf.setBackend('tensorflow'))) {
    return { ok: true, detail: `native TensorFlow via ${probe.pkg}`, reasons: probe.reasons };
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

async function init(kind: BackendKind, log: (msg: string) => void, threads?: number): Promise<string> {
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
      if (t.ok) {
        return chose('tensorflow', `tensorflow (${t.detail})${t.reasons.length ? `; skipped ${t.reasons.join('; ')}` : ''}`, log);
      }
      const skippedTf = `skipped tensorflow: ${t.reasons.join('; ')}`;
      const n = await useNative(threads);
      if (n.ok) {
        return chose('native', `wasm + native (${n.detail}); ${skippedTf}`, log);
      }
      const skipped = `${skippedTf}; skipped native: ${n.reason}`;
      try {
        return chose('wasm', `wasm (${await useWasm()}); ${skipped}`, log);
      } catch (e) {
        await useCpu();
        return chose('cpu', `cpu (slow); ${skipped}; skipped wasm: ${(e as Error).message}`, log);
      }
    }
    default:
      throw new Error(`initBackend: unknown backend kind '${String(kind)}'; use 'auto', 'tensorflow', 'native', 'wasm' or 'cpu'`);
  }
}

/**
 * Selects and initialises the tfjs backend; returns its name.
 *
 * - 'auto': `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional peers, loaded only if
 *   installed), then native (`@hrnet/backend-native`'s oneDNN kernels on the wasm backend, when installed
 *   and its addon loads), then `wasm` with our training kernels ({@link registerWasmTrainingKernels}),
 *   then `cpu`. Logs one line naming the choice and why the better ones were skipped.
 * - 'tensorflow': throws a clear error when neither tfjs-node package is installed.
 * - 'native': throws, saying why, when `@hrnet/backend-native` is missing or its addon cannot load.
 *   Runs on tfjs's 'wasm' backend, so it returns 'wasm'; `threads` sets oneDNN's thread count.
 * - 'wasm': registers the training kernels too. 'cpu': the plain-JS reference backend.
 *
 * Safe to call repeatedly and concurrently: calls run one after another, and the probe of the native
 * packages is done once.
 */
export function initBackend(kind: BackendKind = 'auto', opts: InitBackendOptions = {}): Promise<string> {
  const log = opts.log ?? ((msg: string) => console.info(msg));
  const result = queue.then(() => init(kind, log, opts.threads));
  queue = result.catch(() => undefined);
  return result;
}
