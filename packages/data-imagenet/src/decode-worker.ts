/**
 * Worker-thread side of {@link DecodePool}: rebuilds the transform from its spec and turns lists of
 * (path, seed) into one float32 batch buffer, transferred back without a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '@hrnet/core';
import { ImageDecodeError } from '@hrnet/core';
import { transformFromSpec, type TransformSpec } from './transforms.js';

export interface DecodeTask {
  id: number;
  items: { path: string; seed: number }[];
}

export interface DecodeResult {
  id: number;
  /** The images of the kept items, back to back. */
  images?: Float32Array;
  /** Indices (into `items`) of the images in `images`, in order. */
  kept?: number[];
  /** Items that failed to decode (skipped). */
  corrupt?: { index: number; path: string; message: string }[];
  /** A failure that is not a decode error (bad transform, out of memory): the loader rethrows it. */
  error?: string;
  /** Time spent on the task in the worker. */
  ms?: number;
}

const { spec, concurrency = 4 } = workerData as { spec: TransformSpec; concurrency?: number };
const transform = transformFromSpec(spec);
const per = transform.outputShape[0] * transform.outputShape[1] * transform.outputShape[2];

async function run(task: DecodeTask): Promise<DecodeResult> {
  const t0 = performance.now();
  const results: (Float32Array | null)[] = new Array(task.items.length).fill(null);
  const corrupt: NonNullable<DecodeResult['corrupt']> = [];
  let cursor = 0;
  const worker = async () => {
    while (cursor < task.items.length) {
      const j = cursor++;
      const { path, seed } = task.items[j];
      try {
        results[j] = await transform.apply(path, createRng(seed));
      } catch (err) {
        if (!(err instanceof ImageDecodeError)) throw err;
        corrupt.push({ index: j, path, message: err.message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, task.items.length) }, worker));
  const kept = results.flatMap((r, j) => (r ? [j] : []));
  const images = new Float32Array(kept.length * per);
  kept.forEach((j, k) => images.set(results[j]!, k * per));
  return { id: task.id, images, kept, corrupt, ms: performance.now() - t0 };
}

parentPort!.on('message', (task: DecodeTask) => {
  run(task).then(
    (res) => parentPort!.postMessage(res, [res.images!.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ id: task.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies DecodeResult),
  );
});
