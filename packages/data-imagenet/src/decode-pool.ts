import { siblingWorkerModule, spawnWorker } from '@hrnet/core';
import type { Worker } from 'node:worker_threads';
import type { DecodeResult, DecodeTask } from './decode-worker.js';
import type { TransformSpec } from './transforms.js';

export type { DecodeResult } from './decode-worker.js';

/**
 * A pool of `worker_threads` that decode and transform images (sharp + the JS normalisation, flip and
 * color jitter) off the main thread. Tasks go to the least busy worker; each returns one batch buffer.
 * Idle workers do not keep the process alive; {@link close} terminates them.
 */
export class DecodePool {
  readonly size: number;
  private readonly workers: { worker: Worker; pending: Map<number, (r: DecodeResult) => void>; failed?: Error; drained?: () => void }[] = [];
  private nextId = 1;
  private closed = false;

  constructor(spec: TransformSpec, { workers, concurrency = 4 }: { workers: number; concurrency?: number }) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`DecodePool: workers must be a positive integer, got ${workers}`);
    this.size = workers;
    for (let i = 0; i < workers; i++) {
      const worker = spawnWorker(siblingWorkerModule(import.meta.url, 'decode-worker'), { workerData: { spec, concurrency } });
      const entry: (typeof this.workers)[number] = { worker, pending: new Map() };
      worker.on('message', (res: DecodeResult) => {
        const resolve = entry.pending.get(res.id);
        entry.pending.delete(res.id);
        if (entry.pending.size === 0) {
          worker.unref();
          entry.drained?.();
        }
        resolve?.(res);
      });
      const fail = (err: Error) => {
        entry.failed = err;
        for (const [id, resolve] of entry.pending) resolve({ id, error: `decode worker ${i} failed: ${err.message}` });
        entry.pending.clear();
        entry.drained?.();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(entry);
    }
  }

  /** Runs one task on the least loaded live worker. */
  run(items: DecodeTask['items']): Promise<DecodeResult> {
    if (this.closed) return Promise.reject(new Error('DecodePool: closed'));
    const live = this.workers.filter((w) => !w.failed);
    if (live.length === 0) return Promise.reject(this.workers[0].failed ?? new Error('DecodePool: no live workers'));
    const entry = live.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve) => {
      entry.pending.set(id, resolve);
      entry.worker.ref();
      entry.worker.postMessage({ id, items } satisfies DecodeTask);
    });
  }

  /**
   * Waits for the tasks in flight (a consumer that stopped early leaves prefetched ones), then terminates
   * the workers. Terminating a worker in the middle of a sharp decode can leave `terminate()` pending with
   * nothing keeping the event loop alive: the process then ends silently with exit code 0.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => (w.failed || w.pending.size === 0 ? undefined : new Promise<void>((resolve) => (w.drained = resolve)))));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
