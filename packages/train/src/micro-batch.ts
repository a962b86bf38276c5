import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '@hrnet/core';

/**
 * Gradient accumulation: a recipe batch is trained as consecutive micro-batches (forward + backward each),
 * whose gradients are summed before one optimizer step (see the Trainer). This file holds what that needs
 * besides the Trainer: cutting a batch into micro-batches, recognising a backend's out-of-memory error, and
 * the small cache that remembers which micro-batch fitted.
 */

/** Cuts a batch into micro-batches: `count` samples in it, `slice` the samples `[start, end)` as a batch. */
export interface BatchSlicer<B> {
  count(batch: B): number;
  slice(batch: B, start: number, end: number): B;
}

export interface MicroBatchOptions<B> {
  /**
   * Samples per forward/backward pass: a number, or `'auto'` (default): the whole batch first, halved
   * (rounded up) each time the backend runs out of memory, the size that fits remembered in `cache`.
   */
  size?: number | 'auto';
  /** Default {@link imageBatchSlicer} (`{ images, shape, ...per-sample fields }`). */
  slicer?: BatchSlicer<B>;
  /** `'auto'`: where found sizes are remembered (JSON); default {@link defaultMicroBatchCacheFile}; false: not remembered. */
  cache?: string | false;
}

type TypedArray = Float32Array | Int32Array | Uint8Array | Float64Array | Int16Array | Uint16Array | Int8Array | Uint32Array;
const isTyped = (v: unknown): v is TypedArray => ArrayBuffer.isView(v) && !(v instanceof DataView);

/**
 * The slicer of image batches such as @hrnet/data-imagenet's `ImageBatch` and the Trainer's default
 * `{ images, shape: [n, h, w, c] }`: `images` is cut along the first axis of `shape`, and every other field
 * that is a typed or plain array of exactly `n` entries (labels, paths, ...) is cut too; the rest is shared.
 */
export const imageBatchSlicer: BatchSlicer<unknown> = {
  count(batch) {
    const shape = (batch as { shape?: unknown }).shape;
    if (!Array.isArray(shape) || typeof shape[0] !== 'number' || !isTyped((batch as { images?: unknown }).images)) {
      throw new Error('micro-batches: the batch is not { images, shape: [n, h, w, c] }; pass microBatch.slicer to cut it');
    }
    return shape[0];
  },
  slice(batch, start, end) {
    const b = batch as Record<string, unknown> & { images: TypedArray; shape: number[] };
    const n = b.shape[0];
    const per = b.images.length / n;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) {
      if (k === 'images') out[k] = b.images.subarray(start * per, end * per);
      else if (k === 'shape') out[k] = [end - start, ...b.shape.slice(1)];
      else if ((isTyped(v) || Array.isArray(v)) && v.length === n) out[k] = v.slice(start, end);
      else out[k] = v;
    }
    return out;
  },
};

/**
 * Whether `err` is a backend running out of memory (the micro-batch search halves on it): the wasm heap
 * (`the wasm heap is exhausted`, from @hrnet/core's heap guard and @hrnet/backend-native's kernels), a failed
 * JS allocation (cpu backend), TensorFlow's `OOM when allocating`, a WebGPU out-of-memory error.
 */
export function isOutOfMemoryError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  return /wasm heap is exhausted|Array buffer allocation failed|Invalid typed array length|out of memory|OOM when allocating|Cannot enlarge memory|allocation failed/i.test(msg);
}

/** `$HRNET_CACHE_DIR/micro-batch.json`, else `$XDG_CACHE_HOME/hrnet/…`, else `~/.cache/hrnet/micro-batch.json`. */
export function defaultMicroBatchCacheFile(): string {
  const dir = process.env.HRNET_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'hrnet');
  return join(dir, 'micro-batch.json');
}

/** What one key's search found: the largest size that trained, and the smallest that ran out of memory. */
export interface MicroBatchRecord {
  fits: number;
  failed?: number;
}

/** Reads the cache; a missing or unreadable file is an empty cache (it is only a hint: the search re-checks). */
export async function readMicroBatchCache(file: string): Promise<Record<string, MicroBatchRecord>> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, MicroBatchRecord>) : {};
  } catch {
    return {};
  }
}

/** Stores `record` under `key` (read-modify-write, the file replaced atomically). */
export async function rememberMicroBatch(file: string, key: string, record: MicroBatchRecord): Promise<void> {
  const cache = await readMicroBatchCache(file);
  cache[key] = record;
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(cache, null, 1)}\n`));
}

/** The size to try first for a batch of `n`: `n` unless a remembered search saw a smaller size run out of memory. */
export function firstMicroBatch(n: number, record: MicroBatchRecord | undefined): number {
  if (!record || record.failed == null || record.failed > n) return n;
  return Math.max(1, Math.min(n, record.fits, record.failed - 1));
}
