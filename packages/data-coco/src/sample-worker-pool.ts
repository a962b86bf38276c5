import type { Worker } from 'node:worker_threads';
import { ImageDecodeError, siblingWorkerModule, spawnWorker, type EncodedTargets, type KeypointEncoder, type KeypointEncoderRef } from '@hrnet/core';
import type { KeypointPipelineConfig } from './keypoint-sample.js';
import type { AffineParams } from './random-affine.js';
import { makeTrainingSample, type SampleSpec } from './training-sample-spec.js';

/** The arrays of one training sample (see {@link TrainingSample}) as the batch iterator consumes them. */
export interface PipelineSample {
  image: Float32Array;
  targets: EncodedTargets;
  params: AffineParams;
}

/** Something that turns (spec, seed) into a sample: in this thread or in a worker pool. */
export interface SampleExecutor {
  run(spec: SampleSpec, seed: number): Promise<PipelineSample>;
  close(): Promise<void>;
}

/** Makes samples on the calling thread (sharp still decodes on libuv's thread pool). */
export function inProcessExecutor(config: KeypointPipelineConfig, encoder: KeypointEncoder): SampleExecutor {
  return {
    run: (spec, seed) => makeTrainingSample(spec, config, encoder, seed).then((s) => ({ image: s.sample.image, targets: s.targets, params: s.params })),
    close: async () => {},
  };
}

export interface SampleWorkerPoolOptions {
  /** Number of worker threads (>= 1). */
  workers: number;
  /** libvips threads per worker. Default 1 (the workers are the parallelism). */
  sharpConcurrency?: number;
}

interface Pending {
  resolve: (s: PipelineSample) => void;
  reject: (e: Error) => void;
  slot: Slot;
  path: string;
}

interface Slot {
  worker: Worker;
  busy: number;
  dead: boolean;
}

/**
 * A pool of worker threads that decode and augment samples in parallel with the training loop.
 * Each worker receives plain {@link SampleSpec}s and returns the sample's typed arrays as
 * transferables (no copies). Tasks go to the least busy worker; results are matched by id, so
 * callers get them in any order they like (the batch iterator keeps dataset order).
 */
export class SampleWorkerPool implements SampleExecutor {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(readonly config: KeypointPipelineConfig, readonly encoderRef: KeypointEncoderRef, options: SampleWorkerPoolOptions) {
    const n = options.workers;
    if (!Number.isInteger(n) || n < 1) throw new Error(`SampleWorkerPool: workers must be a positive integer, got ${n}`);
    const entry = siblingWorkerModule(import.meta.url, 'sample-worker');
    for (let i = 0; i < n; i++) {
      const worker = spawnWorker(entry, { workerData: { config, encoderRef, sharpConcurrency: options.sharpConcurrency ?? 1 } });
      const slot: Slot = { worker, busy: 0, dead: false };
      worker.on('message', (msg: { id: number; ok: boolean } & Record<string, unknown>) => this.onMessage(msg));
      worker.on('error', (err) => this.onWorkerGone(slot, err));
      worker.on('exit', (code) => {
        if (!this.closed) this.onWorkerGone(slot, new Error(`sample worker exited with code ${code}`));
      });
      worker.unref();
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  run(spec: SampleSpec, seed: number): Promise<PipelineSample> {
    if (this.closed) return Promise.reject(new Error('SampleWorkerPool is closed'));
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0) return Promise.reject(new Error('SampleWorkerPool: every worker has died'));
    const slot = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    return new Promise<PipelineSample>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot, path: spec.path });
      slot.busy++;
      if (slot.busy === 1) slot.worker.ref();
      slot.worker.postMessage({ id, spec, seed });
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.slot.busy--;
    if (p.slot.busy === 0) p.slot.worker.unref();
    return p;
  }

  private onMessage(msg: { id: number; ok: boolean } & Record<string, unknown>): void {
    const p = this.settle(msg.id);
    if (!p) return;
    if (msg.ok) {
      p.resolve({
        image: msg.image as Float32Array,
        targets: msg.targets as EncodedTargets,
        params: msg.params as AffineParams,
      });
    } else if (msg.name === 'ImageDecodeError') {
      p.reject(ImageDecodeError.fromMessage(String(msg.path), String(msg.message)));
    } else {
      p.reject(new Error(`${String(msg.message)} (while making the sample of ${String(msg.path)})`));
    }
  }

  private onWorkerGone(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    for (const [id, p] of [...this.pending]) {
      if (p.slot === slot) {
        this.settle(id);
        p.reject(new Error(`sample worker failed while making the sample of ${p.path}: ${err.message}`, { cause: err }));
      }
    }
  }

  /** Terminates the workers; pending tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new Error('SampleWorkerPool closed'));
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
