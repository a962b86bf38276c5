import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The compiled addon's interface (src/native/hrnet_native.cc). */
export interface NativeAddon {
  /** Returns false when oneDNN has no implementation for the combination (use the fallback). */
  conv(heap: ArrayBuffer, params: Float64Array): boolean;
  matmul(heap: ArrayBuffer, params: Float64Array): boolean;
  binary(heap: ArrayBuffer, params: Float64Array): boolean;
  reduce(heap: ArrayBuffer, params: Float64Array): boolean;
  batchNorm(heap: ArrayBuffer, params: Float64Array): boolean;
  bnGradReduce(heap: ArrayBuffer, params: Float64Array): boolean;
  broadcastDiv(heap: ArrayBuffer, params: Float64Array): boolean;
  reluGrad(heap: ArrayBuffer, params: Float64Array): boolean;
  bnTrain(heap: ArrayBuffer, params: Float64Array): boolean;
  bnTrainGrad(heap: ArrayBuffer, params: Float64Array): boolean;
  setThreads(n: number): number;
  info(): { onednn: string; threads: number; isa: number; cacheSize: number; cacheHits: number; cacheMisses: number };
  clearCache(): void;
}

export interface LoadOptions {
  /** OpenMP threads used by oneDNN; default `OMP_NUM_THREADS`, else the number of cores. */
  threads?: number;
  /**
   * OpenMP's wait policy, fixed when the addon first loads (later calls cannot change it): 'passive'
   * (default) puts idle threads to sleep at once, which keeps throughput up when other processes compete
   * for the cores; 'active' spins, slightly faster on an otherwise idle machine. `OMP_WAIT_POLICY` wins.
   */
  waitPolicy?: 'passive' | 'active';
}

/** build/ next to src/ and dist/. */
const BUILD_DIR = fileURLToPath(new URL('../build/', import.meta.url));
const ADDON_PATH = `${BUILD_DIR}hrnet_native.node`;

let loaded: { addon?: NativeAddon; reason?: string; waitPolicy?: string } | undefined;

function notBuiltReason(): string {
  try {
    const status = JSON.parse(readFileSync(`${BUILD_DIR}build-status.json`, 'utf8')) as { ok: boolean; reason?: string };
    if (!status.ok && status.reason) return `addon not built: ${status.reason}`;
  } catch {
    // no status file: the build never ran
  }
  return 'addon not built (run `npm run build:addon -w @hrnet/backend-native`; needs g++ and libdnnl-dev)';
}

function positiveInt(v: string | undefined): number | undefined {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Loads the addon once. OpenMP reads its environment when libgomp is first loaded, so the thread count
 * and wait policy are put into the environment just before that (unless the user set them).
 */
export function loadAddon(opts: LoadOptions = {}): { addon?: NativeAddon; reason?: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return (loaded = { reason: `unsupported platform ${process.platform}-${process.arch} (linux-x64 only)` });
  }
  if (!existsSync(ADDON_PATH)) return (loaded = { reason: notBuiltReason() });
  const env = process.env;
  env.OMP_NUM_THREADS ??= String(opts.threads ?? availableParallelism());
  env.OMP_WAIT_POLICY ??= opts.waitPolicy ?? 'passive';
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
    addon.info(); // creates the oneDNN engine: fails here rather than in a kernel
    loaded = { addon, waitPolicy: env.OMP_WAIT_POLICY };
  } catch (e) {
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    const hint = /undefined symbol: dnnl_/.test(msg)
      ? ' (the oneDNN found at run time is not the one the addon was built against: npm run build:addon -w @hrnet/backend-native)'
      : /libdnnl/.test(msg)
        ? ' (install the oneDNN runtime: apt-get install libdnnl2)'
        : /libgomp/.test(msg)
          ? ' (install libgomp1)'
          : /GLIBC/.test(msg)
            ? ' (built against a newer glibc: rebuild on this system)'
            : '';
    loaded = { reason: `addon failed to load: ${msg}${hint}` };
  }
  if (loaded.addon) {
    const threads = opts.threads ?? positiveInt(env.OMP_NUM_THREADS) ?? availableParallelism();
    loaded.addon.setThreads(threads);
  }
  return loaded;
}

/** The wait policy OpenMP was started with (undefined before the addon loads). */
export function loadedWaitPolicy(): string | undefined {
  return loaded?.waitPolicy;
}
