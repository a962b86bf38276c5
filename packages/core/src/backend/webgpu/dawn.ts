import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImportError } from '../describe-import-error.js';

/**
 * Dawn for Node (the npm package `webgpu`, an optional dependency): loaded once by variable specifier so
 * bundlers leave it alone, with the WebGPU globals (`GPUBufferUsage`, …) and `navigator.gpu` that
 * `@tensorflow/tfjs-backend-webgpu` expects of a browser.
 */
export interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** The part of WebGPU's `GPU` / `GPUAdapter` we read (declared here so users need no @webgpu/types). */
export interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<DawnAdapter | null>;
}
export interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string };
  features: ReadonlySet<string>;
  limits: Record<string, number>;
  isFallbackAdapter?: boolean;
  requestDevice(descriptor?: { requiredFeatures?: Iterable<string>; [k: string]: unknown }): Promise<unknown>;
}

const DAWN_PACKAGE = 'webgpu';
let dawn: Promise<{ mod?: DawnModule; reason?: string }> | undefined;

/**
 * lavapipe (Mesa's software Vulkan driver) and some other drivers need `XDG_RUNTIME_DIR`; when it is
 * unset (containers, CI, cron) a fresh private temp dir stands in. Set before Dawn creates its Vulkan
 * instance: Node's main thread writes `process.env` through to the C environment.
 */
export function ensureXdgRuntimeDir(): void {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'hrnet-xdg-'));
}

export function loadDawn(): Promise<{ mod?: DawnModule; reason?: string }> {
  dawn ??= (async () => {
    let mod: DawnModule;
    try {
      mod = (await import(/* @vite-ignore */ DAWN_PACKAGE)) as DawnModule;
    } catch (e) {
      return { reason: describeImportError(DAWN_PACKAGE, e) };
    }
    ensureXdgRuntimeDir();
    // Only what the host lacks: a browser-like host (or a second copy of Dawn) keeps its own.
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
    return { mod };
  })();
  return dawn;
}

/**
 * `gpu` whose adapters also ask for `shader-f16` where they have it: tfjs-backend-webgpu requests only
 * timestamp-query and bgra8unorm-storage, and our f16 convolutions (`--amp`) need f16 shaders to compile.
 * Enabling a feature changes nothing for shaders that do not use it.
 */
function requestingShaderF16(gpu: DawnGpu): DawnGpu {
  const requestAdapter: DawnGpu['requestAdapter'] = async (options) => {
    const adapter = await gpu.requestAdapter(options);
    if (adapter?.features.has('shader-f16')) {
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = (d = {}) => requestDevice({ ...d, requiredFeatures: [...(d.requiredFeatures ?? []), 'shader-f16'] });
    }
    return adapter;
  };
  // Dawn's methods need Dawn's object as `this`; all but requestAdapter pass through.
  return new Proxy(gpu, {
    get: (target, key) => {
      if (key === 'requestAdapter') return requestAdapter;
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Points `navigator.gpu` at `gpu` (Node 20 has no `navigator`; Node 21+ has one without `gpu`). */
export function installNavigatorGpu(gpu: DawnGpu): void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: requestingShaderF16(gpu), configurable: true, writable: true });
}
