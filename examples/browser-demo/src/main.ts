/**
 * The page: picks a backend (`?backend=wasm|webgl|webgpu`, default the best this browser has), loads the two
 * model directories (`?pose=`, `?classifier=`: URLs of tfjs model directories, default the generated tiny
 * ones), runs them on the bundled image and draws the result. `window.hrnetDemo` holds what was drawn.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Registers the 'webgpu' backend where the browser has navigator.gpu.
import '@tensorflow/tfjs-backend-webgpu';
import { initBackend, loadModelFromDir } from '@hrnet/core';
import { DEMO_IMAGE, DEMO_MODEL_DIRS } from './demo-models.js';
import { drawResult } from './draw.js';
import { runDemo, type DemoResult } from './run-demo.js';

type Kind = 'wasm' | 'webgl' | 'webgpu';

declare global {
  interface Window {
    hrnetDemo?: { backend: string; result: DemoResult; drawn: ReturnType<typeof drawResult>; ms: { load: number; run: number } } | { error: string };
  }
}

async function useBackend(kind: Kind): Promise<boolean> {
  // core's wasm set-up registers its training kernels too; webgl and webgpu are tfjs's own backends.
  if (kind === 'wasm') return initBackend('wasm', { log: () => undefined }).then(() => true, () => false);
  if (!tf.findBackendFactory(kind)) return false;
  return tf.setBackend(kind).catch(() => false);
}

async function chooseBackend(requested: string | null): Promise<string> {
  if (requested !== null && !['wasm', 'webgl', 'webgpu'].includes(requested)) throw new Error(`?backend=${requested}: expected wasm, webgl or webgpu`);
  const order: Kind[] = requested ? [requested as Kind] : ['webgpu', 'webgl', 'wasm'];
  for (const kind of order) if (await useBackend(kind)) return (await tf.ready(), tf.getBackend());
  throw new Error(`the ${order.join(' / ')} backend did not initialise in this browser`);
}

async function loadImage(src: string): Promise<HTMLImageElement> {
  const img = new Image();
  img.src = src;
  await img.decode().catch(() => {
    throw new Error(`cannot load the image ${src}`);
  });
  return img;
}

function pixelsOf(img: HTMLImageElement): ImageData {
  const c = document.createElement('canvas');
  [c.width, c.height] = [img.naturalWidth, img.naturalHeight];
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, c.width, c.height);
}

function show(result: DemoResult, backend: string, ms: { load: number; run: number }): void {
  const list = document.getElementById('classes')!;
  list.replaceChildren(...result.classes.map((c) => Object.assign(document.createElement('li'), { textContent: `${c.label}: ${(100 * c.probability).toFixed(1)} %` })));
  document.getElementById('status')!.textContent =
    `backend ${backend}; ${result.poses.length} people drawn; models loaded in ${ms.load.toFixed(0)} ms, ran in ${ms.run.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  setWasmPaths(new URL('wasm/', location.href).href);
  const backend = await chooseBackend(params.get('backend'));
  const t0 = performance.now();
  const [pose, classifier, img] = await Promise.all([
    loadModelFromDir(params.get('pose') ?? DEMO_MODEL_DIRS.pose),
    loadModelFromDir(params.get('classifier') ?? DEMO_MODEL_DIRS.classifier),
    loadImage(params.get('image') ?? DEMO_IMAGE),
  ]);
  const t1 = performance.now();
  const result = await runDemo({ pose, classifier }, pixelsOf(img));
  const ms = { load: t1 - t0, run: performance.now() - t1 };
  const canvas = document.getElementById('canvas') as HTMLCanvasElement;
  [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
  const drawn = drawResult(canvas, img, result);
  show(result, backend, ms);
  window.hrnetDemo = { backend, result, drawn, ms };
}

main().then(
  () => (document.body.dataset.status = 'done'),
  (e: unknown) => {
    const error = e instanceof Error ? e.message : String(e);
    document.getElementById('status')!.textContent = `error: ${error}`;
    window.hrnetDemo = { error };
    document.body.dataset.status = 'error';
  },
);
