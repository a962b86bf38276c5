import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { guardAgainstSilentExit, SeededRng, type LossTerms, type Task } from '@hrnet/core';
import { activeBackend, applyTraining, variableGrads } from '@hrnet/core/backend';
import {
  CHECKPOINT_VERSION,
  CheckpointError,
  CheckpointManager,
  loadCheckpoint,
  restoreModelWeights,
  restoreOptimizerState,
  type CheckpointContents,
  type CheckpointManagerOptions,
  type LoadedCheckpoint,
} from './checkpoint.js';
import { batchesPerEpoch, epochBatches, type TrainData } from './data-source.js';
import { firstNonFinite, nonFiniteProbe, TrainingDivergedError } from './finite-guard.js';
import { clipGradNorm, clipGradValue, type GradClipOptions } from './grad-clip.js';
import type { LossScaler } from './loss-scale.js';
import type { LrSchedule } from './lr-schedule.js';
import {
  defaultMicroBatchCacheFile,
  firstMicroBatch,
  imageBatchSlicer,
  isOutOfMemoryError,
  readMicroBatchCache,
  rememberMicroBatch,
  type BatchSlicer,
  type MicroBatchOptions,
} from './micro-batch.js';
import { createProgress, type EpochLog, type EvalResult, type ProgressMode, type ProgressReporter, type StepLog } from './progress.js';

/** Model outputs: one tensor, or several for multi-output models. */
export type ModelOutputs = tf.Tensor | tf.Tensor[];

/** A per-batch mean of something (called inside `tf.tidy`); the Trainer averages it over samples. */
export type MetricFn<B> = (outputs: ModelOutputs, batch: B) => tf.Scalar;

/** The default batch shape: NHWC float32 images (as @hrnet/data-imagenet's `ImageBatch`). */
export interface ImageBatchLike {
  images: Float32Array;
  shape: readonly [number, number, number, number];
}

/**
 * Combines the gradients of several data-parallel ranks (see `dist.ts`): called once per step with this
 * rank's gradients (in `model.trainableWeights` order), loss and batch size; resolves with new tensors
 * holding the sample-weighted means over all ranks, identical on every rank (the Trainer disposes both).
 */
export interface GradientReducer {
  /** Ranks of the run: stored in checkpoints, which refuse to resume under another world size. */
  worldSize?: number;
  allReduce(grads: tf.Tensor[], loss: tf.Scalar, batchSize: number): Promise<{ grads: tf.Tensor[]; loss: tf.Scalar }>;
}

/** What is trained: a family's {@link Task} (model, inputs, loss, metrics), or the same pieces given one by one. */
export type TrainerModelOptions<B> =
  | { task: Task<B, unknown, never>; model?: never; loss?: never; inputs?: never; metrics?: never }
  | {
      task?: never;
      model: tf.LayersModel;
      /** Scalar loss of a batch (called inside `variableGrads` of @hrnet/core, tfjs's with a lower peak; build label tensors from `batch` here). */
      loss: (outputs: ModelOutputs, batch: B) => tf.Scalar;
      /** Evaluated (with the loss) on `valData` and by {@link Trainer.evaluate}. */
      metrics?: Record<string, MetricFn<B>>;
      /** Model input of a batch; default `tf.tensor4d(batch.images, batch.shape)`. */
      inputs?: (batch: B) => tf.Tensor | tf.Tensor[];
    };

export type TrainerOptions<B> = TrainerModelOptions<B> & TrainerRunOptions & {
  /**
   * Gradient accumulation: each batch is trained as micro-batches of this size whose gradients are summed
   * (weighted as one batch would) before one optimizer step; `'auto'` finds the largest that fits the
   * backend's memory (see `micro-batch.ts`). Default: whole batches.
   */
  microBatch?: MicroBatchOptions<B>;
};

/** Everything but the model and its loss. */
export interface TrainerRunOptions {
  optimizer: tf.Optimizer;
  /** Sets the optimizer's learning rate before each update (update index, 0-based, over the whole run). */
  lrSchedule?: LrSchedule;
  /** Clip gradients before each update (timm `clip_grad`/`clip_mode`). */
  gradClip?: GradClipOptions;
  /** Static or dynamic loss scaling (see `loss-scale.ts`). */
  lossScaler?: LossScaler;
  /** Data-parallel gradient averaging (set by `dist.ts` in each worker). */
  gradientReducer?: GradientReducer;
  /**
   * Whether this process logs, evaluates and writes checkpoints. Default true; false on data-parallel
   * workers other than rank 0.
   */
  isMain?: boolean;
  /** Seeds {@link Trainer.rng}. Default 0. */
  seed?: number;
  /** The task's config, stored verbatim in checkpoints. */
  config?: unknown;
  /** Receives every step, epoch, evaluation, checkpoint and warning record. */
  onLog?: (event: TrainerEvent) => void;
  /** Default 'auto': cli-progress bar when `stream` is a TTY, one line per epoch otherwise. */
  progress?: ProgressMode;
  /** Where progress goes. Default `process.stdout`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /**
   * Check every N updates that all weights and BatchNorm statistics are finite (one fused reduction) and
   * stop with {@link TrainingDivergedError} when not; they are always checked before a checkpoint is
   * written. Default 1.
   */
  finiteCheckEvery?: number;
}

export type TrainerEvent =
  | ({ type: 'step' } & StepLog)
  | ({ type: 'epoch' } & EpochLog)
  | ({ type: 'eval'; epoch: number } & EvalResult)
  | { type: 'checkpoint'; epoch: number; paths: string[] }
  | { type: 'resume'; path: string; epoch: number; globalStep: number }
  | { type: 'warning'; message: string }
  | ({ type: 'microBatch' } & MicroBatchReport);

/** How a batch is cut into micro-batches (reported once, and again whenever the size changes). */
export interface MicroBatchReport {
  /** Samples per forward/backward pass. */
  size: number;
  /** Samples per optimizer step (the batch on this process). */
  batch: number;
  /** Passes per optimizer step. */
  microBatches: number;
  /** `fixed` (a number was given), `search` (found by trying: `tried` ran out of memory), `cache` (remembered). */
  source: 'fixed' | 'search' | 'cache';
  tried: number[];
  /** The cache file written or read (`'auto'`). */
  cache?: string;
}

export interface FitOptions<B> {
  epochs: number;
  /** Evaluated every `evalInterval` epochs and after the last. */
  valData?: TrainData<B>;
  /** Evaluate every N epochs (MindSpore recipe: 10). Default 1. */
  evalInterval?: number;
  /** Stop after this many optimizer updates in this call (the epoch in progress is still logged and evaluated). */
  maxSteps?: number;
  /** First epoch (0-based) when not resuming from a checkpoint. Default 0. */
  initialEpoch?: number;
  /** Save a checkpoint every epoch (see {@link CheckpointManager}). */
  checkpoint?: CheckpointManager | CheckpointManagerOptions;
  /**
   * Continue from a checkpoint: weights, optimizer state, update count (so the schedule continues),
   * RNG and loss-scaler state, best metric; training resumes at the epoch after the saved one.
   */
  resume?: string | LoadedCheckpoint;
  /** Append every event as one JSON object per line to this file. */
  metricsLog?: string;
  /** Log every Nth step event to `metricsLog` (epochs/evals always). Default 1. */
  metricsLogSteps?: number;
}

export interface FitResult {
  history: EpochLog[];
  /** Optimizer updates done in this call. */
  steps: number;
  stoppedBy: 'epochs' | 'maxSteps';
  /** Best value of the checkpoint metric, when tracked. */
  best?: { metric: string; value: number; epoch: number };
}

/** What one {@link Trainer.trainStep} did. */
export interface StepResult {
  loss: number;
  batchSize: number;
  lr: number;
  /** The update was skipped because the gradients were not finite (loss scaling). */
  skipped: boolean;
  /** Loss scale used for this step (1 without scaling). */
  lossScale: number;
  /** The task's named loss terms (unscaled), when trained from a `Task`. */
  terms?: Record<string, number>;
}

const firstTensor = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0] : x);
const asList = (x: ModelOutputs): tf.Tensor[] => (Array.isArray(x) ? x : [x]);

/** The running sums of a step's micro-batches (see `Trainer.accumulate`). */
interface Accumulated {
  grads: tf.NamedTensorMap;
  /** Sum of the weighted (and scaled) micro-batch losses. */
  loss: tf.Scalar;
  terms?: tf.Tensor;
  termNames: string[];
  samples: number;
}

function defaultInputs(batch: unknown): tf.Tensor {
  const b = batch as Partial<ImageBatchLike>;
  if (!(b?.images instanceof Float32Array) || !Array.isArray(b.shape) || b.shape.length !== 4) {
    throw new Error('Trainer: batches must be { images: Float32Array, shape: [n, h, w, c] }, or pass `inputs` to build the model input');
  }
  return tf.tensor4d(b.images, b.shape as [number, number, number, number]);
}

function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const opt = optimizer as tf.Optimizer & { setLearningRate?: (lr: number) => void; learningRate?: number };
  // tf.train.sgd/momentum cache -lr in a tensor and must go through setLearningRate.
  if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
  else if (typeof opt.learningRate === 'number') opt.learningRate = lr;
  else throw new Error(`Trainer: cannot set the learning rate of optimizer ${optimizer.getClassName()}`);
}

function currentLearningRate(optimizer: tf.Optimizer): number {
  const lr = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof lr === 'number' ? lr : NaN;
}

/**
 * A task-agnostic training loop for tf.LayersModels. Each update is one `tf.tidy` around
 * `variableGrads(() => loss(applyTraining(model, x), batch))` (@hrnet/core's `tf.variableGrads` and
 * `model.apply(x, { training: true })`, which free memory as they go), optional loss (un)scaling,
 * data-parallel gradient averaging and clipping, then `optimizer.applyGradients`, so no tensor outlives
 * its step. A `Task` (@hrnet/core; each model family of @hrnet/heads provides one) supplies the model, inputs,
 * loss and metrics; the Trainer knows nothing about classification, pose or
 * segmentation.
 */
export class Trainer<B = ImageBatchLike> {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  /** Seeded RNG for the task's own randomness; saved in checkpoints and restored on resume. */
  readonly rng: SeededRng;
  private readonly opts: TrainerRunOptions;
  private readonly inputs: (batch: B) => tf.Tensor | tf.Tensor[];
  private readonly loss: (outputs: ModelOutputs, batch: B) => tf.Scalar;
  private readonly metrics: Record<string, MetricFn<B>>;
  /** The task's loss with its terms (training steps log the terms). */
  private readonly lossTerms?: (outputs: ModelOutputs, batch: B) => LossTerms;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly isMain: boolean;
  private globalStep = 0;
  private readonly finiteCheckEvery: number;
  /** Micro-batching: the slicer, the size in use (undefined until `'auto'` has picked one) and how it was found. */
  private readonly micro?: {
    slicer: BatchSlicer<B>;
    auto: boolean;
    size?: number;
    cache?: string;
    key?: string;
    source: MicroBatchReport['source'];
    tried: number[];
    reported?: string;
  };
  /** Where events go: `onLog`, and during `fit` also the JSONL log. */
  private emit: (e: TrainerEvent) => void;

  constructor(opts: TrainerOptions<B>) {
    this.opts = opts;
    this.optimizer = opts.optimizer;
    if (opts.task) {
      const task = opts.task;
      this.model = task.model;
      this.inputs = (b) => task.inputs(b);
      this.lossTerms = (out, b) => task.loss(asList(out), b);
      this.loss = (out, b) => task.loss(asList(out), b).total;
      this.metrics = Object.fromEntries(Object.entries(task.metrics ?? {}).map(([k, m]) => [k, (out: ModelOutputs, b: B) => m(asList(out), b)]));
    } else {
      this.model = opts.model;
      this.inputs = opts.inputs ?? ((b) => defaultInputs(b));
      this.loss = opts.loss;
      this.metrics = opts.metrics ?? {};
    }
    this.stream = opts.stream ?? process.stdout;
    this.isMain = opts.isMain ?? true;
    this.rng = new SeededRng(opts.seed ?? 0);
    this.finiteCheckEvery = opts.finiteCheckEvery ?? 1;
    this.emit = (e) => opts.onLog?.(e);
    if (opts.microBatch) {
      const size = opts.microBatch.size ?? 'auto';
      if (size !== 'auto' && !(Number.isInteger(size) && size >= 1)) throw new Error(`Trainer: microBatch.size must be a positive integer or 'auto', got ${size}`);
      const cache = opts.microBatch.cache ?? defaultMicroBatchCacheFile();
      this.micro = {
        slicer: opts.microBatch.slicer ?? (imageBatchSlicer as BatchSlicer<B>),
        auto: size === 'auto',
        size: size === 'auto' ? undefined : size,
        cache: size === 'auto' && cache !== false ? cache : undefined,
        source: size === 'auto' ? 'search' : 'fixed',
        tried: [],
      };
    }
    if (!(Number.isInteger(this.finiteCheckEvery) && this.finiteCheckEvery >= 1)) throw new Error(`Trainer: finiteCheckEvery must be a positive integer, got ${opts.finiteCheckEvery}`);
  }

  /**
   * Throws {@link TrainingDivergedError} naming the first weight or BatchNorm statistic that is not finite.
   * `when` says what was about to happen (for the message).
   */
  async assertFiniteWeights(when?: string): Promise<void> {
    const bad = await firstNonFinite(this.model.weights);
    if (bad) {
      throw new TrainingDivergedError(
        `training diverged: ${bad.count} of ${bad.size} values of '${bad.name}' are not finite after update ${this.globalStep}${when ? ` (${when})` : ''}; ` +
          'nothing of this state was saved; lower the learning rate, clip gradients or use --amp',
      );
    }
  }

  /** Data-parallel ranks (1 without a gradient reducer). */
  get worldSize(): number {
    return this.opts.gradientReducer?.worldSize ?? 1;
  }

  /** Optimizer updates (batches) done so far, including resumed ones; the schedule's step index. */
  get steps(): number {
    return this.globalStep;
  }

  private trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /**
   * One optimizer update on `batch`: its micro-batches' gradients summed (see {@link accumulate}), then —
   * once per step, after the last micro-batch — unscaled, data-parallel reduced, checked for overflow,
   * clipped and applied.
   */
  async trainStep(batch: B): Promise<StepResult> {
    if (this.opts.lrSchedule) setLearningRate(this.optimizer, this.opts.lrSchedule(this.globalStep));
    const lr = currentLearningRate(this.optimizer);
    const vars = this.trainableVariables();
    const scaler = this.opts.lossScaler;
    const scale = scaler?.scale ?? 1;
    const micro = this.micro;
    const n = micro?.slicer.count(batch);
    if (micro?.auto && micro.size === undefined) await this.firstAutoSize(batch, n!);
    let overflow = false;
    // BatchNorm updates its running statistics in the forward pass: a skipped (overflowing) step must not keep
    // them, nor a micro-batch pass that ran out of memory half-way (it is retried smaller).
    const statsBefore = scaler?.checksOverflow || micro?.auto ? this.model.nonTrainableWeights.map((w) => tf.keep(tf.clone(w.read()))) : undefined;
    const restoreStats = () => this.model.nonTrainableWeights.forEach((w, i) => w.write(statsBefore![i]));
    let acc: Accumulated;
    try {
      for (;;) {
        const size = micro?.size == null ? undefined : Math.min(micro.size, n!);
        try {
          acc = this.accumulate(batch, vars, scale, n, size);
          break;
        } catch (err) {
          if (!micro?.auto || !isOutOfMemoryError(err) || size == null) throw err;
          restoreStats();
          micro.tried.push(size);
          micro.source = 'search';
          if (size === 1) throw new RangeError(`${(err as Error).message}; not even a micro-batch of 1 sample fits this backend`);
          micro.size = Math.ceil(size / 2);
        }
      }
    } catch (err) {
      tf.dispose(statsBefore);
      throw err;
    }
    if (micro) await this.reportMicroBatch(n!);
    // Reads that wait for the device (the data-parallel reduce, the overflow check) happen outside tidy scopes:
    // webgpu has no synchronous read in Node.
    const step = tf.tidy(() => {
      const used = vars.filter((v) => acc.grads[v.name] != null);
      let g = used.map((v) => acc.grads[v.name]);
      let loss = acc.loss;
      if (scale !== 1) {
        g = g.map((t) => tf.div(t, scale));
        loss = tf.div(loss, scale) as tf.Scalar;
      }
      // the sums stay acc's (disposed below): what leaves this scope is its own
      return { g: scale === 1 ? g.map((t) => tf.clone(t)) : g, loss: loss === acc.loss ? tf.clone(loss) : loss, names: used.map((v) => v.name) };
    });
    let g = step.g;
    let lossTensor = step.loss;
    const usedNames = step.names;
    // The step's one data-parallel reduce: after every micro-batch, before the one optimizer update.
    if (this.opts.gradientReducer) {
      const reduced = await this.opts.gradientReducer.allReduce(g, lossTensor, acc.samples);
      tf.dispose([g, lossTensor]);
      ({ grads: g, loss: lossTensor } = reduced);
    }
    if (scaler?.checksOverflow) {
      const probe = nonFiniteProbe(g);
      overflow = !Number.isFinite((await probe.data())[0]);
      probe.dispose();
    }
    if (!overflow) {
      tf.tidy(() => {
        const named: tf.NamedTensorMap = {};
        usedNames.forEach((name, i) => (named[name] = g[i]));
        this.optimizer.applyGradients(this.clip(named));
      });
    }
    tf.dispose(g);
    if (statsBefore) {
      if (overflow) restoreStats();
      tf.dispose(statsBefore);
    }
    const loss = (await lossTensor.data())[0];
    lossTensor.dispose();
    let terms: Record<string, number> | undefined;
    if (acc.terms) {
      const v = await acc.terms.data();
      terms = Object.fromEntries(acc.termNames.map((k, i) => [k, v[i]]));
    }
    tf.dispose([acc.loss, ...Object.values(acc.grads), ...(acc.terms ? [acc.terms] : [])]);
    scaler?.update(overflow);
    this.globalStep++;
    if (!overflow && !Number.isFinite(loss)) throw new TrainingDivergedError(`training diverged: the loss became ${loss} at update ${this.globalStep}; nothing of this state was saved`);
    if (this.globalStep % this.finiteCheckEvery === 0) await this.assertFiniteWeights();
    return { loss, batchSize: acc.samples, lr, skipped: overflow, lossScale: scale, ...(terms && { terms }) };
  }

  /**
   * Forward + backward of `batch` in micro-batches of `size` samples (undefined: at once), the gradients,
   * (scaled) loss and loss terms summed, each micro-batch weighted by its share of the batch (`m / n`): the
   * losses are per-sample means, so the sum is the whole batch's mean, as one big batch. Each pass is one
   * `tf.tidy`; only the running sums live between passes. Throws (sums freed) when a pass throws.
   */
  private accumulate(batch: B, vars: tf.Variable[], scale: number, n: number | undefined, size: number | undefined): Accumulated {
    const ranges: Array<[number, number]> = [];
    if (n == null || size == null || size >= n) ranges.push([0, n ?? 0]);
    else for (let s = 0; s < n; s += size) ranges.push([s, Math.min(n, s + size)]);
    let sum: Accumulated | undefined;
    let termValues: tf.Tensor | undefined;
    try {
      for (const [start, end] of ranges) {
        const part = ranges.length === 1 ? batch : this.micro!.slicer.slice(batch, start, end);
        const weight = ranges.length === 1 ? 1 : (end - start) / n!;
        let termNames: string[] = [];
        let samples = 0;
        const prev = sum;
        const next = tf.tidy(() => {
          const x = this.inputs(part);
          samples = firstTensor(x).shape[0] ?? 0;
          const { value, grads } = variableGrads(() => {
            const out = applyTraining(this.model, x) as ModelOutputs;
            let l: tf.Scalar;
            if (this.lossTerms) {
              const { total, terms } = this.lossTerms(out, part);
              termNames = Object.keys(terms);
              // A side output of the forward pass (nothing differentiates it): kept past the tidy scopes.
              if (termNames.length) termValues = tf.keep(tf.stack(termNames.map((k) => terms[k])));
              l = total;
            } else l = this.loss(out, part);
            if (weight !== 1) l = tf.mul(l, weight) as tf.Scalar;
            return scale === 1 ? l : (tf.mul(l, scale) as tf.Scalar);
          }, vars);
          const g: tf.NamedTensorMap = {};
          for (const v of vars) {
            const gv = grads[v.name];
            if (gv != null) g[v.name] = prev?.grads[v.name] ? tf.add(prev.grads[v.name], gv) : gv;
          }
          const t = termValues && weight !== 1 ? tf.mul(termValues, weight) : termValues;
          return { grads: g, loss: prev ? (tf.add(prev.loss, value) as tf.Scalar) : value, terms: t && prev?.terms ? tf.add(prev.terms, t) : t };
        });
        // `next.terms` may be the kept `termValues` itself (one micro-batch): it then lives on in the sum.
        if (termValues && termValues !== next.terms) termValues.dispose();
        termValues = undefined;
        if (prev) tf.dispose([prev.loss, ...Object.values(prev.grads), ...(prev.terms ? [prev.terms] : [])]);
        sum = { grads: next.grads, loss: next.loss, terms: next.terms, termNames, samples: (prev?.samples ?? 0) + samples };
      }
    } catch (err) {
      tf.dispose(termValues);
      if (sum) tf.dispose([sum.loss, ...Object.values(sum.grads), ...(sum.terms ? [sum.terms] : [])]);
      throw err;
    }
    return sum!;
  }

  /** `'auto'`: the first size to try, from the cache (a smaller size ran out of memory before) or the whole batch. */
  private async firstAutoSize(batch: B, n: number): Promise<void> {
    const micro = this.micro!;
    if (micro.cache) {
      const one = micro.slicer.slice(batch, 0, Math.min(1, n));
      const shapes = tf.tidy(() => {
        const x = this.inputs(one);
        return (Array.isArray(x) ? x : [x]).map((t) => t.shape.slice(1).join('x')).join(',');
      });
      const backend = activeBackend()?.kind ?? tf.getBackend();
      micro.key = `${this.model.name}|${this.model.countParams()} params|${this.model.layers.length} layers|input ${shapes}|${backend}`;
      const record = (await readMicroBatchCache(micro.cache))[micro.key];
      micro.size = firstMicroBatch(n, record);
      if (record && micro.size < n) micro.source = 'cache';
    } else micro.size = n;
  }

  /** Logs the micro-batch in use when it is new or changed, and remembers a size found by running out of memory. */
  private async reportMicroBatch(n: number): Promise<void> {
    const micro = this.micro!;
    const size = Math.min(micro.size ?? n, n);
    const report: MicroBatchReport = { size, batch: n, microBatches: Math.ceil(n / size), source: micro.source, tried: [...micro.tried], ...(micro.cache && { cache: micro.cache }) };
    const id = `${size}/${n}`;
    if (micro.reported === id) return;
    micro.reported = id;
    if (micro.cache && micro.key && micro.tried.length) await rememberMicroBatch(micro.cache, micro.key, { fits: size, failed: Math.min(...micro.tried) });
    this.emit({ type: 'microBatch', ...report });
    if (this.isMain && (size < n || micro.tried.length)) {
      const how =
        report.source === 'search'
          ? `found by trying (${report.tried.join(', ')} ran out of memory${micro.cache ? `; remembered in ${micro.cache}` : ''})`
          : report.source === 'cache'
            ? `remembered in ${micro.cache}`
            : 'as configured';
      process.stderr.write(`[train] micro-batch ${size}: batch ${n} = ${report.microBatches} accumulated micro-batches per optimizer step, ${how}\n`);
    }
  }

  private clip(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    const c = this.opts.gradClip;
    if (!c) return grads;
    return c.mode === 'value' ? clipGradValue(grads, c.max) : clipGradNorm(grads, c.max).grads;
  }

  /**
   * Mean loss and metrics per sample over `data` (inference mode: `training: false`). `forward` runs the model
   * elsewhere instead (e.g. onnxruntime through @hrnet/deploy's `runtimeModel`): outputs in the model's order.
   */
  async evaluate(data: TrainData<B>, epoch = 0, forward?: (x: tf.Tensor) => Promise<tf.Tensor[]>): Promise<EvalResult> {
    const names = Object.keys(this.metrics);
    const sums = new Float64Array(names.length + 1);
    let samples = 0;
    const t0 = performance.now();
    const micro = this.micro;
    const releaseGuard = guardAgainstSilentExit('evaluation (Trainer.evaluate)');
    try {
    for await (const batch of epochBatches(data, epoch)) {
      // With micro-batches, evaluated in parts of the training micro-batch (inference needs less memory).
      const total = micro?.slicer.count(batch);
      for (let start = 0; ; ) {
        const end = total == null ? undefined : Math.min(total, start + (micro?.size ?? total));
        const part = total == null || (start === 0 && end === total) ? batch : micro!.slicer.slice(batch, start, end!);
        let n = 0;
        let values: tf.Scalar[];
        let external: tf.Tensor[] | undefined;
        try {
          if (forward) {
            const x = this.inputs(part);
            external = await forward(firstTensor(x)).finally(() => tf.dispose(x));
          }
          values = tf.tidy(() => {
            const x = this.inputs(part);
            n = firstTensor(x).shape[0] ?? 0;
            const out = external ?? (this.model.apply(x, { training: false }) as ModelOutputs);
            return [this.loss(out, part), ...names.map((k) => this.metrics[k](out, part))];
          });
        } catch (err) {
          const size = end! - start;
          if (!micro?.auto || !isOutOfMemoryError(err) || size <= 1) throw err;
          micro.tried.push(size);
          micro.source = 'search';
          micro.size = Math.ceil(size / 2);
          continue;
        } finally {
          tf.dispose(external);
        }
        const host = await Promise.all(values.map((v) => v.data()));
        tf.dispose(values);
        host.forEach((v, i) => (sums[i] += v[0] * n));
        samples += n;
        if (end == null || end >= total!) break;
        start = end;
      }
      }
    } finally {
      releaseGuard();
    }
    if (samples === 0) throw new Error('Trainer.evaluate: the data yielded no samples');
    const metrics: Record<string, number> = {};
    names.forEach((k, i) => (metrics[k] = sums[i + 1] / samples));
    return { loss: sums[0] / samples, metrics, samples, timeMs: performance.now() - t0 };
  }

  /** The checkpoint contents for `epoch` epochs completed. */
  checkpointContents(epoch: number, metrics?: Record<string, number>): CheckpointContents {
    const spec = (this.opts.lrSchedule as { spec?: unknown } | undefined)?.spec;
    return {
      model: this.model,
      optimizer: this.optimizer,
      meta: {
        epoch,
        globalStep: this.globalStep,
        scheduler: spec,
        rng: this.rng.getState(),
        lossScaler: this.opts.lossScaler?.getState(),
        config: this.opts.config,
        metrics,
        worldSize: this.worldSize,
      },
    };
  }

  /**
   * Restores weights, optimizer state, update count, RNG and loss scaler from a checkpoint and returns it.
   * Throws {@link CheckpointError} when it does not fit (other architecture, optimizer or loss scaling).
   */
  async restore(from: string | LoadedCheckpoint): Promise<LoadedCheckpoint> {
    const ckpt = typeof from === 'string' ? await loadCheckpoint(from) : from;
    const saved = ckpt.meta.worldSize ?? 1;
    if (saved !== this.worldSize) {
      // The global batch, the samples of each update and the schedule's step count all follow the world size.
      throw new CheckpointError(
        `checkpoint '${ckpt.path}' was written by a run of ${saved} rank(s) and this run has ${this.worldSize}: resume with the same world size (--dist ${saved} or mpirun -n ${saved})`,
      );
    }
    restoreModelWeights(ckpt, this.model);
    restoreOptimizerState(ckpt, this.model, this.optimizer);
    const { meta } = ckpt;
    const scaler = this.opts.lossScaler;
    if (meta.lossScaler && scaler) {
      try {
        scaler.setState(meta.lossScaler);
      } catch (err) {
        throw new CheckpointError(`checkpoint '${ckpt.path}': ${(err as Error).message}`);
      }
    } else if (meta.lossScaler && meta.lossScaler.type === 'dynamic') {
      this.warn(`checkpoint '${ckpt.path}' was trained with dynamic loss scaling; resuming without it`);
    }
    if (meta.rng != null) {
      try {
        this.rng.setState(meta.rng);
      } catch (err) {
        throw new CheckpointError(`checkpoint '${ckpt.path}': ${(err as Error).message}`);
      }
    } else if (meta.version < CHECKPOINT_VERSION) {
      this.warn(`checkpoint '${ckpt.path}' is format v${meta.version}: its RNG state is from an older generator, so trainer.rng continues from its seed`);
    }
    this.globalStep = meta.globalStep;
    const spec = (this.opts.lrSchedule as { spec?: unknown } | undefined)?.spec;
    if (spec && meta.scheduler && JSON.stringify(spec) !== JSON.stringify(meta.scheduler)) {
      this.warn(`the learning-rate schedule differs from the one in '${ckpt.path}' (saved ${JSON.stringify(meta.scheduler)}); continuing with the new one at update ${meta.globalStep}`);
    }
    return ckpt;
  }

  private warn(message: string): void {
    this.emit({ type: 'warning', message });
    if (this.isMain) process.stderr.write(`[train] warning: ${message}\n`);
  }

  /**
   * Trains epochs `initialEpoch … epochs-1` (or from a checkpoint), evaluating `valData` every
   * `evalInterval` epochs, saving checkpoints and writing the JSONL log as asked.
   */
  async fit(trainData: TrainData<B>, fitOpts: FitOptions<B>): Promise<FitResult> {
    const { epochs, valData, maxSteps = Infinity, evalInterval = 1, metricsLogSteps = 1 } = fitOpts;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`Trainer.fit: epochs must be a positive integer, got ${epochs}`);
    if (!Number.isInteger(evalInterval) || evalInterval < 1) throw new Error(`Trainer.fit: evalInterval must be a positive integer, got ${evalInterval}`);
    const manager = fitOpts.checkpoint == null ? undefined : fitOpts.checkpoint instanceof CheckpointManager ? fitOpts.checkpoint : new CheckpointManager(fitOpts.checkpoint);
    let initialEpoch = fitOpts.initialEpoch ?? 0;
    let jsonl: WriteStream | undefined;
    if (fitOpts.metricsLog && this.isMain) {
      mkdirSync(dirname(fitOpts.metricsLog), { recursive: true });
      jsonl = createWriteStream(fitOpts.metricsLog, { flags: 'a' });
    }
    const emit = (e: TrainerEvent) => {
      this.opts.onLog?.(e);
      if (jsonl && (e.type !== 'step' || e.globalStep % metricsLogSteps === 0)) jsonl.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
    };
    const emitBefore = this.emit;
    this.emit = emit;
    let resumed: LoadedCheckpoint | undefined;
    if (fitOpts.resume) {
      const ckpt = (resumed = await this.restore(fitOpts.resume));
      initialEpoch = ckpt.meta.epoch;
      if (manager && ckpt.meta.best && ckpt.meta.best.metric === manager.bestMetric) manager.best = ckpt.meta.best;
      emit({ type: 'resume', path: ckpt.path, epoch: ckpt.meta.epoch, globalStep: ckpt.meta.globalStep });
    }
    // Before any work: a folder holding another run's checkpoints is refused (it would be overwritten and mixed in).
    if (manager && this.isMain) await manager.claim(resumed);
    const progress: ProgressReporter = createProgress(this.isMain ? (this.opts.progress ?? 'auto') : 'none', this.stream);
    const history: EpochLog[] = [];
    const startStep = this.globalStep;
    let stoppedBy: FitResult['stoppedBy'] = 'epochs';
    type Iter = AsyncIterator<B> | Iterator<B>;
    const openEpoch = (e: number): { it: Iter; first: Promise<IteratorResult<B>> } => {
      const src = epochBatches(trainData, e);
      const it: Iter = Symbol.asyncIterator in src ? (src as AsyncIterable<B>)[Symbol.asyncIterator]() : (src as Iterable<B>)[Symbol.iterator]();
      const first = Promise.resolve(it.next());
      first.catch(() => undefined); // surfaced when awaited
      return { it, first };
    };
    let prefetched: { it: Iter; first: Promise<IteratorResult<B>> } | undefined;
    // The epoch being trained: closed in `finally` when a step throws, so its loader stops prefetching.
    let current: Iter | undefined;
    // A loader whose workers die unnoticed must not let the process end with exit 0 and no word (issue 18).
    const releaseGuard = guardAgainstSilentExit('training (Trainer.fit)');

    try {
      for (let epoch = initialEpoch; epoch < epochs; epoch++) {
        const known = batchesPerEpoch(trainData);
        const left = maxSteps - (this.globalStep - startStep);
        const totalSteps = known == null ? (Number.isFinite(left) ? left : undefined) : Math.min(known, left);
        progress.startEpoch(epoch + 1, epochs, totalSteps);
        const t0 = performance.now();
        let steps = 0;
        let samples = 0;
        let lossSum = 0;
        let counted = 0;
        const termSums: Record<string, number> = {};
        let skipped = 0;
        let lr = NaN;
        let dataWaitMs = 0;
        let exhausted = false;
        // The first batch of this epoch may already be loading (started before the previous evaluation).
        const { it, first } = prefetched ?? openEpoch(epoch);
        prefetched = undefined;
        current = it;
        let pendingFirst: Promise<IteratorResult<B>> | undefined = first;
        for (;;) {
          const w0 = performance.now();
          const next = await (pendingFirst ?? it.next());
          pendingFirst = undefined;
          const waited = performance.now() - w0;
          if (next.done) {
            exhausted = true;
            break;
          }
          dataWaitMs += waited;
          const s0 = performance.now();
          const r = await this.trainStep(next.value);
          steps++;
          samples += r.batchSize;
          if (r.skipped) skipped++;
          else {
            lossSum += r.loss;
            counted++;
            for (const [k, v] of Object.entries(r.terms ?? {})) termSums[k] = (termSums[k] ?? 0) + v;
          }
          lr = r.lr;
          const stepLog: StepLog = {
            epoch: epoch + 1,
            epochs,
            step: steps,
            totalSteps,
            globalStep: this.globalStep,
            loss: r.loss,
            avgLoss: counted ? lossSum / counted : NaN,
            lr,
            imagesPerSec: (samples * 1000) / (performance.now() - t0),
            dataWaitMs: waited,
            stepMs: performance.now() - s0,
          };
          if (this.opts.lossScaler) {
            stepLog.lossScale = r.lossScale;
            stepLog.skipped = r.skipped;
          }
          if (r.terms) stepLog.terms = r.terms;
          progress.step(stepLog);
          emit({ type: 'step', ...stepLog });
          if (this.globalStep - startStep >= maxSteps) {
            stoppedBy = 'maxSteps';
            break;
          }
        }
        current = undefined;
        if (!exhausted) await it.return?.();
        if (steps === 0) throw new Error(`Trainer.fit: the training data yielded no batches in epoch ${epoch + 1}`);
        const completed = exhausted || (known != null && steps >= known);
        const epochTimeMs = performance.now() - t0;
        const log: EpochLog = {
          epoch: epoch + 1,
          epochs,
          steps,
          samples,
          epochTimeMs,
          perStepMs: epochTimeMs / steps,
          avgLoss: counted ? lossSum / counted : NaN,
          lr,
          imagesPerSec: (samples * 1000) / epochTimeMs,
          dataWaitMs,
        };
        if (skipped) log.skippedSteps = skipped;
        if (counted && Object.keys(termSums).length) log.avgTerms = Object.fromEntries(Object.entries(termSums).map(([k, v]) => [k, v / counted]));
        const last = epoch + 1 === epochs || stoppedBy === 'maxSteps';
        // Start loading the next epoch's first batch now, so it overlaps evaluation and checkpointing.
        if (!last) prefetched = openEpoch(epoch + 1);
        if (valData && this.isMain && ((epoch + 1) % evalInterval === 0 || last)) {
          log.val = await this.evaluate(valData, epoch);
          emit({ type: 'eval', epoch: epoch + 1, ...log.val });
        }
        progress.endEpoch(log);
        emit({ type: 'epoch', ...log });
        history.push(log);
        if (manager && this.isMain && completed) {
          await this.assertFiniteWeights(`before saving the epoch ${epoch + 1} checkpoint`);
          const metrics = log.val ? { loss: log.val.loss, ...log.val.metrics } : undefined;
          const paths = await manager.save(epoch + 1, this.checkpointContents(epoch + 1, metrics), { last: epoch + 1 === epochs });
          if (paths.length) emit({ type: 'checkpoint', epoch: epoch + 1, paths });
        }
        if (stoppedBy === 'maxSteps') break;
      }
    } finally {
      for (const it of [current, prefetched?.it]) if (it) await Promise.resolve(it.return?.()).catch(() => undefined);
      progress.close();
      this.emit = emitBefore;
      if (jsonl) await new Promise<void>((resolve) => jsonl!.end(resolve));
      releaseGuard();
    }
    return { history, steps: this.globalStep - startStep, stoppedBy, best: manager?.best };
  }
}
