/**
 * Data-parallel training: the thread {@link Collective} (N `worker_threads` of one process, each with its
 * own tfjs engine and model replica, summing through a SharedArrayBuffer in rank order), and what every
 * backend shares: the Trainer's gradient reducer and synchronized BatchNorm over a {@link Collective}.
 * Processes and MPI: `collective-process.ts`, `collective-mpi.ts`, `launch.ts`.
 */
import { isMainThread, type Worker, workerData, parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { spawnWorker } from '@hrnet/core';
import { allReduceBuckets, CollectiveTimeoutError, collectiveTimeoutMs, DistAbortError, type Collective } from './collective.js';
import type { GradientReducer } from './trainer.js';

const CTL_COUNT = 0;
const CTL_GEN = 1;
const CTL_ABORT = 2;
const CTL_SIZE = 4;

/** What {@link launchDataParallel} hands each worker (inside `workerData.__hrnetDist`). */
interface DistWorkerInit {
  rank: number;
  worldSize: number;
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
  /** Floats per rank in `data`. */
  capacity: number;
  timeoutMs: number;
}

/**
 * Collectives over shared memory between the workers of one run: a barrier and a sum all-reduce whose
 * result is bit-identical on every rank (the ranks' contributions are added in rank order).
 */
export class Communicator implements Collective {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend = 'thread' as const;
  private readonly timeoutMs: number;
  private readonly ctl: Int32Array;
  private readonly data: Float32Array;
  private readonly capacity: number;

  constructor(init: DistWorkerInit) {
    this.rank = init.rank;
    this.worldSize = init.worldSize;
    this.ctl = new Int32Array(init.control);
    this.data = new Float32Array(init.data);
    this.capacity = init.capacity;
    this.timeoutMs = init.timeoutMs;
  }

  /** Blocks until every rank has called it (checks for abort every 200 ms). */
  barrier(): void {
    if (this.worldSize === 1) return;
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, CTL_GEN);
    if (Atomics.add(ctl, CTL_COUNT, 1) === this.worldSize - 1) {
      Atomics.store(ctl, CTL_COUNT, 0);
      Atomics.add(ctl, CTL_GEN, 1);
      Atomics.notify(ctl, CTL_GEN);
      return;
    }
    const t0 = performance.now();
    while (Atomics.load(ctl, CTL_GEN) === gen) {
      if (Atomics.load(ctl, CTL_ABORT) !== 0) throw new DistAbortError();
      if (performance.now() - t0 > this.timeoutMs) {
        this.abort();
        throw new CollectiveTimeoutError(`rank ${this.rank}: a collective timed out after ${this.timeoutMs / 1000} s waiting for the other worker threads (HRNET_DIST_TIMEOUT)`);
      }
      Atomics.wait(ctl, CTL_GEN, gen, 200);
    }
  }

  /** Rank `root`'s `x`: it contributes its values, the others zeros, to one sum (so the copies are exact). */
  broadcast(x: Float32Array, root = 0): Float32Array {
    return this.allReduceSum(this.rank === root ? x : new Float32Array(x.length));
  }

  /** Element-wise sum of `x` over all ranks (same length everywhere), in chunks of the shared capacity. */
  allReduceSum(x: Float32Array): Float32Array {
    const out = new Float32Array(x.length);
    if (this.worldSize === 1) {
      out.set(x);
      return out;
    }
    const cap = this.capacity;
    for (let off = 0; off < x.length || (off === 0 && x.length === 0); off += cap) {
      const len = Math.min(cap, x.length - off);
      this.data.set(x.subarray(off, off + len), this.rank * cap);
      this.barrier();
      for (let r = 0; r < this.worldSize; r++) {
        const base = r * cap;
        if (r === 0) for (let i = 0; i < len; i++) out[off + i] = this.data[base + i];
        else for (let i = 0; i < len; i++) out[off + i] += this.data[base + i];
      }
      this.barrier(); // nobody overwrites its slot before everyone has read
      if (x.length === 0) break;
    }
    return out;
  }

  /** Marks the run as failed so that ranks blocked in a collective throw instead of waiting forever. */
  abort(): void {
    Atomics.store(this.ctl, CTL_ABORT, 1);
    Atomics.notify(this.ctl, CTL_GEN);
  }
}

/** The data-parallel context of the current worker thread, or undefined outside {@link launchDataParallel}. */
export interface DistContext {
  rank: number;
  worldSize: number;
  comm: Collective;
  /** The `workerData` passed to `launchDataParallel` (threads only). */
  data?: unknown;
}

export function getDistContext(): DistContext | undefined {
  if (isMainThread) return undefined;
  const wd = workerData as { __hrnetDist?: DistWorkerInit; data?: unknown } | undefined;
  if (!wd?.__hrnetDist) return undefined;
  const init = wd.__hrnetDist;
  return { rank: init.rank, worldSize: init.worldSize, comm: new Communicator(init), data: wd.data };
}

/**
 * The Trainer's {@link GradientReducer} for data parallelism: every rank contributes `n·g` and `n·loss`
 * for its `n` samples, and gets `Σ n·g / Σ n` — the gradient of the mean loss over the global batch,
 * whatever the shard sizes. Gradients are read asynchronously (`data()`: webgpu has no synchronous read
 * in Node) and reduced in buckets of `bucketFloats` in model order, each as soon as its reads are done.
 * tfjs computes all gradients in one backward call with no per-parameter hook, so unlike DDP the
 * reduction cannot start during the backward pass.
 */
export function distGradientReducer(comm: Collective, opts: { bucketFloats?: number } = {}): GradientReducer {
  return {
    worldSize: comm.worldSize,
    async allReduce(grads, loss, batchSize) {
      const sizes = [...grads.map((g) => g.size), 2];
      const lossPart = loss.data().then((l) => Float32Array.of(l[0], 1));
      const parts = [...grads.map((g) => g.data() as Promise<Float32Array>), lossPart];
      const sums = await allReduceBuckets(comm, parts, { sizes, scale: batchSize, bucketFloats: opts.bucketFloats });
      const [lossSum, n] = sums[grads.length];
      if (!(n > 0)) throw new Error('data-parallel step: no samples on any rank');
      const out = grads.map((g, i) => {
        const part = sums[i];
        const avg = new Float32Array(part.length);
        for (let j = 0; j < part.length; j++) avg[j] = part[j] / n;
        return tf.tensor(avg, g.shape, 'float32');
      });
      return { grads: out, loss: tf.scalar(lossSum / n) };
    },
  };
}

/** A differentiable all-reduce: forward sums over ranks; backward sums `n_local·dy` over ranks and divides by `n_local`. */
function allReduceOp(comm: Collective, localCount: number): (x: tf.Tensor) => tf.Tensor {
  const f = (x: tf.Tensor) => {
    const value = tf.tensor(comm.allReduceSum(x.dataSync() as Float32Array), x.shape, 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      const d = dy.dataSync() as Float32Array;
      const scaled = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) scaled[i] = d[i] * localCount;
      const s = comm.allReduceSum(scaled);
      for (let i = 0; i < s.length; i++) s[i] /= localCount;
      return tf.tensor(s, dy.shape, 'float32');
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

interface BatchNormLike {
  name: string;
  epsilon: number;
  momentum: number;
  weights: tf.LayerVariable[];
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }) => tf.Tensor | tf.Tensor[];
  getClassName(): string;
}

/**
 * Synchronized BatchNorm (torch `SyncBatchNorm.convert_sync_batchnorm`) for @hrnet/core's `BatchNorm2d`
 * layers of `model`: in training, each rank's per-channel mean, sum of squared deviations and count are
 * gathered from every rank and combined (Chan et al., as torch's `batch_norm_gather_stats_with_counts`), so
 * every replica normalises with the statistics of the whole global batch and updates the same running
 * statistics (unbiased variance over the global count, PyTorch momentum). The backward pass all-reduces the
 * gradients of those statistics, so parameter gradients equal single-process full-batch ones.
 * Returns the number of layers converted. Inference is unchanged.
 */
export function syncBatchNorm(model: tf.LayersModel, comm: Collective): number {
  if (tf.getBackend() === 'webgpu') {
    throw new Error('--sync_bn: synchronized BatchNorm reads statistics synchronously inside the forward pass, which webgpu cannot do in Node; train without it, or on a CPU backend');
  }
  let converted = 0;
  for (const layer of model.layers as unknown as BatchNormLike[]) {
    if (layer.getClassName() !== 'BatchNorm2d') continue;
    const byName = (suffix: string) => {
      const w = layer.weights.find((v) => v.originalName.endsWith(`/${suffix}`) || v.name.endsWith(`/${suffix}`) || v.name.endsWith(suffix));
      if (!w) throw new Error(`syncBatchNorm: layer '${layer.name}' has no weight '${suffix}'`);
      return w;
    };
    const gamma = byName('gamma');
    const beta = byName('beta');
    const movingMean = byName('moving_mean');
    const movingVar = byName('moving_variance');
    const original = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      if (!kwargs?.training) return original(inputs, kwargs);
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = x.shape[3];
      const nLocal = x.shape[0] * x.shape[1] * x.shape[2];
      // Each rank's mean and sum of squared deviations (two passes, as single-process BatchNorm computes
      // them), gathered into per-rank slots and combined by Chan's formula. Summing x and x² instead loses
      // the variance to cancellation wherever |mean| >> std (measured: 5e-2 weight drift after 2 steps).
      const localMean = nLocal > 0 ? tf.mean(x, [0, 1, 2]) : tf.zeros([c]);
      const localM2 = tf.sum(tf.square(tf.sub(x, localMean)), [0, 1, 2]);
      const slot = 2 * c + 1;
      const mine = tf.concat([localMean, localM2, tf.fill([1], nLocal)]);
      const gathered = tf.reshape(allReduceOp(comm, nLocal)(tf.pad(mine, [[comm.rank * slot, (comm.worldSize - 1 - comm.rank) * slot]])), [comm.worldSize, slot]);
      const counts = tf.slice(gathered, [0, 2 * c], [-1, 1]);
      const n = tf.sum(counts).dataSync()[0];
      const means = tf.slice(gathered, [0, 0], [-1, c]);
      const mean = tf.div(tf.sum(tf.mul(means, counts), 0), n) as tf.Tensor1D;
      const m2 = tf.add(tf.sum(tf.slice(gathered, [0, c], [-1, c]), 0), tf.sum(tf.mul(tf.square(tf.sub(means, mean)), counts), 0));
      const variance = tf.div(m2, n) as tf.Tensor1D;
      const m = layer.momentum;
      tf.tidy(() => {
        const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
        movingMean.write(tf.add(tf.mul(movingMean.read(), 1 - m), tf.mul(mean, m)));
        movingVar.write(tf.add(tf.mul(movingVar.read(), 1 - m), tf.mul(unbiased, m)));
      });
      return tf.batchNorm(x, mean, variance, beta.read() as tf.Tensor1D, gamma.read() as tf.Tensor1D, layer.epsilon);
    };
    converted++;
  }
  return converted;
}

export interface LaunchDataParallelOptions {
  /** Number of worker threads (ranks). */
  worldSize: number;
  /** The worker entry module (a file path or URL; `.ts` is loaded through tsx). It should call {@link runDataParallelWorker}. */
  module: string | URL;
  /** Passed to every worker as `ctx.data`. */
  data?: unknown;
  /** Floats per rank in the shared buffer (collectives larger than this are chunked). Default 2^22 (16 MB). */
  capacity?: number;
  /** Milliseconds a rank waits in one collective (default {@link collectiveTimeoutMs}). */
  timeoutMs?: number;
}

/**
 * Starts `worldSize` worker threads running `module`, connected by a shared-memory {@link Communicator},
 * and resolves with each rank's result (what its {@link runDataParallelWorker} function returned). If a
 * worker fails, the others are aborted and the promise rejects with that worker's error.
 */
export async function launchDataParallel<T = unknown>(opts: LaunchDataParallelOptions): Promise<T[]> {
  const { worldSize, capacity = 2 ** 22, timeoutMs = collectiveTimeoutMs() } = opts;
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`launchDataParallel: worldSize must be a positive integer, got ${worldSize}`);
  const control = new SharedArrayBuffer(CTL_SIZE * 4);
  const data = new SharedArrayBuffer(worldSize * capacity * 4);
  const ctl = new Int32Array(control);
  const results: T[] = new Array(worldSize);
  const workers: Worker[] = [];
  let firstError: Error | undefined;
  await Promise.all(
    Array.from({ length: worldSize }, (_, rank) =>
      new Promise<void>((resolve) => {
        const init: DistWorkerInit = { rank, worldSize, control, data, capacity, timeoutMs };
        // No per-rank environment: the ranks are threads of one process, and native libraries (CUDA's
        // CUDA_VISIBLE_DEVICES, oneDNN) read the process's real environment, not a worker's process.env copy.
        const w = spawnWorker(opts.module, { workerData: { __hrnetDist: init, data: opts.data } });
        workers.push(w);
        const fail = (err: Error) => {
          if (!firstError) {
            firstError = err;
            Atomics.store(ctl, CTL_ABORT, 1);
            Atomics.notify(ctl, CTL_GEN);
          }
        };
        let done = false;
        w.on('message', (msg: { __hrnetDistResult?: true; result?: T; error?: string }) => {
          if (!msg?.__hrnetDistResult) return;
          done = true;
          if (msg.error != null) fail(new Error(`rank ${rank}: ${msg.error}`));
          else results[rank] = msg.result as T;
        });
        w.on('error', (err) => fail(new Error(`rank ${rank}: ${err.message}`)));
        w.on('exit', (code) => {
          if (!done && !firstError) fail(new Error(`rank ${rank} exited with code ${code} before finishing`));
          resolve();
        });
      }),
    ),
  );
  if (firstError) throw firstError;
  return results;
}

/**
 * The body of a data-parallel worker module: runs `fn` with this worker's {@link DistContext} and reports
 * its result (structured-cloneable) or error to {@link launchDataParallel}.
 */
export function runDataParallelWorker<T>(fn: (ctx: DistContext) => Promise<T> | T): void {
  const ctx = getDistContext();
  if (!ctx || !parentPort) throw new Error('runDataParallelWorker: not started by launchDataParallel');
  const port = parentPort;
  Promise.resolve()
    .then(() => fn(ctx))
    .then(
      (result) => port.postMessage({ __hrnetDistResult: true, result }),
      (err: unknown) => {
        ctx.comm.abort();
        port.postMessage({ __hrnetDistResult: true, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      },
    );
}
