import * as tf from '@tensorflow/tfjs';
import { batchesPerEpoch, epochBatches, type TrainData } from './data-source.js';
import { clipGradNorm, clipGradValue, type GradClipOptions } from './grad-clip.js';
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

export interface TrainerOptions<B> {
  model: tf.LayersModel;
  /** Scalar loss of a batch (called inside `tf.variableGrads`; build label tensors from `batch` here). */
  loss: (outputs: ModelOutputs, batch: B) => tf.Scalar;
  optimizer: tf.Optimizer;
  /** Evaluated (with the loss) on `valData` after each epoch and by {@link Trainer.evaluate}. */
  metrics?: Record<string, MetricFn<B>>;
  /** Sets the optimizer's learning rate before each update (update index, 0-based, over the fit). */
  lrSchedule?: LrSchedule;
  /** Clip gradients before each update (timm `clip_grad`/`clip_mode`). */
  gradClip?: GradClipOptions;
  /** Model input of a batch; default `tf.tensor4d(batch.images, batch.shape)`. */
  inputs?: (batch: B) => tf.Tensor | tf.Tensor[];
  /** Receives every step, epoch and evaluation record. */
  onLog?: (event: TrainerEvent) => void;
  /** Default 'auto': cli-progress bar when `stream` is a TTY, one line per epoch otherwise. */
  progress?: ProgressMode;
  /** Where progress goes. Default `process.stdout`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export type TrainerEvent = ({ type: 'step' } & StepLog) | ({ type: 'epoch' } & EpochLog) | ({ type: 'eval'; epoch: number } & EvalResult);

export interface FitOptions<B> {
  epochs: number;
  /** Evaluated after every epoch. */
  valData?: TrainData<B>;
  /** Stop after this many optimizer updates in total (the epoch in progress is still logged and evaluated). */
  maxSteps?: number;
  /** First epoch (0-based) when resuming; epochs run from here to `epochs - 1`. Default 0. */
  initialEpoch?: number;
}

export interface FitResult {
  history: EpochLog[];
  /** Optimizer updates done. */
  steps: number;
  stoppedBy: 'epochs' | 'maxSteps';
}

const firstTensor = (x: tf.Tensor | tf.Tensor[]) => (Array.isArray(x) ? x[0] : x);

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
 * A small task-agnostic training loop for tf.LayersModels. Each update is one `tf.tidy` around
 * `tf.variableGrads(() => loss(model.apply(x, { training: true }), batch))` and
 * `optimizer.applyGradients`, so no tensor outlives its step. Tasks supply the loss and metrics;
 * the Trainer knows nothing about classification, pose or segmentation.
 */
export class Trainer<B = ImageBatchLike> {
  readonly model: tf.LayersModel;
  readonly optimizer: tf.Optimizer;
  private readonly opts: TrainerOptions<B>;
  private readonly inputs: (batch: B) => tf.Tensor | tf.Tensor[];
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private globalStep = 0;

  constructor(opts: TrainerOptions<B>) {
    this.opts = opts;
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.inputs = opts.inputs ?? ((b) => defaultInputs(b));
    this.stream = opts.stream ?? process.stdout;
  }

  /** Optimizer updates done by this Trainer so far. */
  get steps(): number {
    return this.globalStep;
  }

  private trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** One optimizer update on `batch`; returns the loss and the batch size. */
  async trainStep(batch: B): Promise<{ loss: number; batchSize: number; lr: number }> {
    if (this.opts.lrSchedule) setLearningRate(this.optimizer, this.opts.lrSchedule(this.globalStep));
    const lr = currentLearningRate(this.optimizer);
    const vars = this.trainableVariables();
    let batchSize = 0;
    const lossTensor = tf.tidy(() => {
      const x = this.inputs(batch);
      batchSize = firstTensor(x).shape[0] ?? 0;
      const { value, grads } = tf.variableGrads(() => this.opts.loss(this.model.apply(x, { training: true }) as ModelOutputs, batch), vars);
      this.optimizer.applyGradients(this.clip(grads));
      return value;
    });
    const loss = (await lossTensor.data())[0];
    lossTensor.dispose();
    this.globalStep++;
    if (!Number.isFinite(loss)) throw new Error(`Trainer: loss became ${loss} at update ${this.globalStep}`);
    return { loss, batchSize, lr };
  }

  private clip(grads: tf.NamedTensorMap): tf.NamedTensorMap {
    const c = this.opts.gradClip;
    if (!c) return grads;
    return c.mode === 'value' ? clipGradValue(grads, c.max) : clipGradNorm(grads, c.max).grads;
  }

  /** Mean loss and metrics per sample over `data` (inference mode: `training: false`). */
  async evaluate(data: TrainData<B>, epoch = 0): Promise<EvalResult> {
    const names = Object.keys(this.opts.metrics ?? {});
    const sums = new Float64Array(names.length + 1);
    let samples = 0;
    const t0 = performance.now();
    for await (const batch of epochBatches(data, epoch)) {
      let n = 0;
      const values = tf.tidy(() => {
        const x = this.inputs(batch);
        n = firstTensor(x).shape[0] ?? 0;
        const out = this.model.apply(x, { training: false }) as ModelOutputs;
        return [this.opts.loss(out, batch), ...names.map((k) => this.opts.metrics![k](out, batch))];
      });
      const host = await Promise.all(values.map((v) => v.data()));
      tf.dispose(values);
      host.forEach((v, i) => (sums[i] += v[0] * n));
      samples += n;
    }
    if (samples === 0) throw new Error('Trainer.evaluate: the data yielded no samples');
    const metrics: Record<string, number> = {};
    names.forEach((k, i) => (metrics[k] = sums[i + 1] / samples));
    return { loss: sums[0] / samples, metrics, samples, timeMs: performance.now() - t0 };
  }

  /** Trains for `epochs` epochs (or `maxSteps` updates), evaluating `valData` after each epoch. */
  async fit(trainData: TrainData<B>, fitOpts: FitOptions<B>): Promise<FitResult> {
    const { epochs, valData, maxSteps = Infinity, initialEpoch = 0 } = fitOpts;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`Trainer.fit: epochs must be a positive integer, got ${epochs}`);
    const progress: ProgressReporter = createProgress(this.opts.progress ?? 'auto', this.stream);
    const emit = (e: TrainerEvent) => this.opts.onLog?.(e);
    const history: EpochLog[] = [];
    const startStep = this.globalStep;
    let stoppedBy: FitResult['stoppedBy'] = 'epochs';

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
        let lr = NaN;
        for await (const batch of epochBatches(trainData, epoch)) {
          const r = await this.trainStep(batch);
          steps++;
          samples += r.batchSize;
          lossSum += r.loss;
          lr = r.lr;
          const stepLog: StepLog = {
            epoch: epoch + 1,
            epochs,
            step: steps,
            totalSteps,
            globalStep: this.globalStep,
            loss: r.loss,
            avgLoss: lossSum / steps,
            lr,
            imagesPerSec: (samples * 1000) / (performance.now() - t0),
          };
          progress.step(stepLog);
          emit({ type: 'step', ...stepLog });
          if (this.globalStep - startStep >= maxSteps) {
            stoppedBy = 'maxSteps';
            break;
          }
        }
        if (steps === 0) throw new Error(`Trainer.fit: the training data yielded no batches in epoch ${epoch + 1}`);
        const epochTimeMs = performance.now() - t0;
        const log: EpochLog = {
          epoch: epoch + 1,
          epochs,
          steps,
          samples,
          epochTimeMs,
          perStepMs: epochTimeMs / steps,
          avgLoss: lossSum / steps,
          lr,
          imagesPerSec: (samples * 1000) / epochTimeMs,
        };
        if (valData) {
          log.val = await this.evaluate(valData, epoch);
          emit({ type: 'eval', epoch: epoch + 1, ...log.val });
        }
        progress.endEpoch(log);
        emit({ type: 'epoch', ...log });
        history.push(log);
        if (stoppedBy === 'maxSteps') break;
      }
    } finally {
      progress.close();
    }
    return { history, steps: this.globalStep - startStep, stoppedBy };
  }
}
