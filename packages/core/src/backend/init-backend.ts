import * as tf from '@tensorflow/tfjs';
import { registerCpuKernelFixes } from './cpu-kernel-fixes.js';
import { registerWasmTrainingKernels } from './wasm-training-kernels.js';

export type BackendKind = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface InitBackendOptions {
  /** Receives the one-line report of the choice; default `console.info`. */
  log?: (msg: string) => void;
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
  registerWasmTrainingKernels();
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new Error("initBackend: the 'wasm' backend failed to initialise (is the .wasm binary reachable? see setWasmPaths)");
  }
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `XNNPACK${simd ? ' SIMD' : ''}${threads ? ' multi-threaded' : ', 1 thread'}, training kernels registered`;
}

async function useCpu(): Promise<void> {
  registerCpuKernelFixes();
  if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error("initBackend: the 'cpu' backend failed to initialise");
  await tf.ready();
}

async function init(kind: BackendKind, log: (msg: string) => void): Promise<string> {
  switch (kind) {
    case 'tensorflow': {
      const t = await useTensorflow();
      if (!t.ok) {
        throw new Error(
          `initBackend('tensorflow'): no native TensorFlow backend: ${t.reasons.join('; ')}. ` +
            `Install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA), or use initBackend('wasm').`,
        );
      }
      log(`[hrnet] backend: tensorflow (${t.detail})`);
      return 'tensorflow';
    }
    case 'wasm':
      log(`[hrnet] backend: wasm (${await useWasm()})`);
      return 'wasm';
    case 'cpu':
      await useCpu();
      log('[hrnet] backend: cpu (plain JS; slow, for tests and debugging)');
      return 'cpu';
    case 'auto': {
      const t = await useTensorflow();
      if (t.ok) {
        log(`[hrnet] backend: tensorflow (${t.detail})${t.reasons.length ? `; skipped ${t.reasons.join('; ')}` : ''}`);
        return 'tensorflow';
      }
      const skipped = `skipped tensorflow: ${t.reasons.join('; ')}`;
      try {
        log(`[hrnet] backend: wasm (${await useWasm()}); ${skipped}`);
        return 'wasm';
      } catch (e) {
        await useCpu();
        log(`[hrnet] backend: cpu (slow); ${skipped}; skipped wasm: ${(e as Error).message}`);
        return 'cpu';
      }
    }
    default:
      throw new Error(`initBackend: unknown backend kind '${String(kind)}'; use 'auto', 'tensorflow', 'wasm' or 'cpu'`);
  }
}

/**
 * Selects and initialises the tfjs backend; returns its name.
 *
 * - 'auto': `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` (optional peers, loaded only if
 *   installed), then `wasm` with our training kernels ({@link registerWasmTrainingKernels}), then `cpu`.
 *   Logs one line naming the choice and why the better ones were skipped.
 * - 'tensorflow': throws a clear error when neither tfjs-node package is installed.
 * - 'wasm': registers the training kernels too. 'cpu': the plain-JS reference backend.
 *
 * Safe to call repeatedly and concurrently: calls run one after another, and the probe of the native
 * packages is done once.
 */
export function initBackend(kind: BackendKind = 'auto', opts: InitBackendOptions = {}): Promise<string> {
  const log = opts.log ?? ((msg: string) => console.info(msg));
  const result = queue.then(() => init(kind, log));
  queue = result.catch(() => undefined);
  return result;
}
