import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { guardAgainstSilentExit, SeededRng, type LossTerms, type Task } from '@hrnet/core';
import { applyTraining, variableGrads } from '@hrnet/core/backend';
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
 * Combines the gradients of several data-parallel workers (see `dist.ts`): called once per step, inside
 * `tf.tidy`, with this worker's gradients (in `model.trainableWeights` order), loss and batch size; returns
 * the sample-weighted means over all workers, identical on every worker.
 */
export interface GradientReducer {
  allReduce(grads: tf.Tensor[], loss: tf.Scalar, batchSize: number): { grads: tf.Tensor[]; loss: tf.Scalar };
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

export type TrainerOptions<B> = TrainerModelOptions<B> & TrainerRunOptions;

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
  | { type: 'warning'; message: string };

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
    if (!(Number.isInteger(this.finiteCheckEvery) && this.finiteCheckEvery >= 1)) throw new Error(`Trainer: finiteCheckEvery must be a positive integer, got ${opts.finiteCheckEvery}`);
  }

  /**
   * Throws {@link TrainingDivergedError} naming the first weight or BatchNorm statistic that is not finite.
   * `when` says what was about to happen (for the message).
   */
  assertFiniteWeights(when?: string): void {
    const bad = firstNonFinite(this.model.weights);
    if (bad) {
      throw new TrainingDivergedError(
        `training diverged: ${bad.count} of ${bad.size} values of '${bad.name}' are not finite after update ${this.globalStep}${when ? ` (${when})` : ''}; ` +
          'nothing of this state was saved; lower the learning rate, clip gradients or use --amp',
      );
    }
  }

  /** Optimizer updates (batches) done so far, including resumed ones; the schedule's step index. */
  get steps(): number {
    return this.globalStep;
  }

  private trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** One optimizer update on `batch`. */
  async trainStep(batch: B): Promise<StepResult> {
    if (this.opts.lrSchedule) setLearningRate(this.optimizer, this.opts.lrSchedule(this.globalStep));
    const lr = currentLearningRate(this.optimizer);
    const vars = this.trainableVariables();
    const scaler = this.opts.lossScaler;
    const scale = scaler?.scale ?? 1;
    let batchSize = 0;
    let overflow = false;
    let termNames: string[] = [];
    let termValues: tf.Tensor | undefined;
    // BatchNorm updates its running statistics in the forward pass; a skipped (overflowing) step must not keep them.
    const statsBefore = scaler?.checksOverflow ? this.model.nonTrainableWeights.map((w) => tf.keep(tf.clone(w.read()))) : undefined;
    const lossTensor = tf.tidy(() => {
      const x = this.inputs(batch);
      batchSize = firstTensor(x).shape[0] ?? 0;
      const { value, grads } = variableGrads(() => {
        const out = applyTraining(this.model, x) as ModelOutputs;
        let l: tf.Scalar;
        if (this.lossTerms) {
          const { total, terms } = this.lossTerms(out, batch);
          termNames = Object.keys(terms);
          // A side output of the forward pass (nothing differentiates it): kept past the tidy scopes, read below.
          if (termNames.length) termValues = tf.keep(tf.stack(termNames.map((k) => terms[k])));
          l = total;
        } else l = this.loss(out, batch);
        return scale === 1 ? l : (tf.mul(l, scale) as tf.Scalar);
      }, vars);
      // Variables the loss does not depend on get no gradient (same set on every data-parallel rank).
      const used = vars.filter((v) => grads[v.name] != null);
      let g = used.map((v) => grads[v.name]);
      let loss: tf.Scalar = value;
      if (scale !== 1) {
        g = g.map((t) => tf.div(t, scale));
        loss = tf.div(value, scale) as tf.Scalar;
      }
      if (this.opts.gradientReducer) ({ grads: g, loss } = this.opts.gradientReducer.allReduce(g, loss, batchSize));
      if (scaler?.checksOverflow) overflow = !Number.isFinite(nonFiniteProbe(g).dataSync()[0]);
      if (!overflow) {
        const named: tf.NamedTensorMap = {};
        used.forEach((v, i) => (named[v.name] = g[i]));
        this.optimizer.applyGradients(this.clip(named));
      }
      return loss;
    });
    if (statsBefore) {
      if (overflow) this.model.nonTrainableWeights.forEach((w, i) => w.write(statsBefore[i]));
      tf.dispose(statsBefore);
    }
    const loss = (await lossTensor.data())[0];
    lossTensor.dispose();
    let terms: Record<string, number> | undefined;
    if (termValues) {
      const v = await termValues.data();
      termValues.dispose();
      terms = Object.fromEntries(termNames.map((k, i) => [k, v[i]]));
    }
    scaler?.update(overflow);
    this.globalStep++;
    if (!overflow && !Number.isFinite(loss)) throw new TrainingDivergedError(`training diverged: the loss became ${loss} at update ${this.globalStep}; nothing of this state was saved`);
    if (this.globalStep % this.finiteCheckEvery === 0) this.assertFiniteWeights();
    return { loss, batchSize, lr, skipped: overflow, lossScale: scale, ...(terms && { terms }) };
  }

  private clip(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    const c = this.opts.gradClip;
    if (!c) return grads;
    return c.mode === 'value' ? clipGradValue(grads, c.max) : clipGradNorm(grads, c.max).grads;
  }

  /** Mean loss and metrics per sample over `data` (inference mode: `training: false`). */
  async evaluate(data: TrainData<B>, epoch = 0): Promise<EvalResult> {
    const names = Object.keys(this.metrics);
    const sums = new Float64Array(names.length + 1);
    let samples = 0;
    const t0 = performance.now();
    const releaseGuard = guardAgainstSilentExit('evaluation (Trainer.evaluate)');
    try {
      for await (const batch of epochBatches(data, epoch)) {
        let n = 0;
        const values = tf.tidy(() => {
          const x = this.inputs(batch);
          n = firstTensor(x).shape[0] ?? 0;
          const out = this.model.apply(x, { training: false }) as ModelOutputs;
          return [this.loss(out, batch), ...names.map((k) => this.metrics[k](out, batch))];
        });
        const host = await Promise.all(values.map((v) => v.data()));
        tf.dispose(values);
        host.forEach((v, i) => (sums[i] += v[0] * n));
        samples += n;
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
      },
    };
  }

  /**
   * Restores weights, optimizer state, update count, RNG and loss scaler from a checkpoint and returns it.
   * Throws {@link CheckpointError} when it does not fit (other architecture, optimizer or loss scaling).
   */
  async restore(from: string | LoadedCheckpoint): Promise<LoadedCheckpoint> {
    const ckpt = typeof from === 'string' ? await loadCheckpoint(from) : from;
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
    this.opts.onLog?.({ type: 'warning', message });
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
          this.assertFiniteWeights(`before saving the epoch ${epoch + 1} checkpoint`);
          const metrics = log.val ? { loss: log.val.loss, ...log.val.metrics } : undefined;
          const paths = await manager.save(epoch + 1, this.checkpointContents(epoch + 1, metrics), { last: epoch + 1 === epochs });
          if (paths.length) emit({ type: 'checkpoint', epoch: epoch + 1, paths });
        }
        if (stoppedBy === 'maxSteps') break;
      }
    } finally {
      for (const it of [current, prefetched?.it]) if (it) await Promise.resolve(it.return?.()).catch(() => undefined);
      progress.close();
      if (jsonl) await new Promise<void>((resolve) => jsonl!.end(resolve));
      releaseGuard();
    }
    return { history, steps: this.globalStep - startStep, stoppedBy, best: manager?.best };
  }
}
