import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import { keypointBatchSlicer, type KeypointBatch } from '@hrnet/data-coco';
import { createHigherHRNet, higherHrnetTask } from '@hrnet/heads';
import {
  Adam,
  createLossScaler,
  createLrSchedule,
  decayAll,
  joinDataParallel,
  runRole,
  SGD,
  Trainer,
  weightsDigest,
  type FitResult,
  type LossScaler,
  type TrainingOptions,
} from '@hrnet/train';
import { loadPoseWeights, PoseCheckpointManager } from './checkpoint.js';
import { networkConfig, poseCodec, type PoseConfig } from './config.js';
import { loadPretrained } from './model-init.js';
import { generateSyntheticDataset, PoseTrainData } from './data.js';

export interface TrainPoseOptions extends TrainingOptions {
  /** Stop after this many updates (smoke tests). */
  maxSteps?: number;
  /** `--pretrained [tag]`: the ImageNet backbone from timm's published `hrnet_w<C>` instead of the MODEL.PRETRAINED file. */
  pretrained?: true | string;
  /** Runs after training, before a generated temp dataset is removed (e.g. evaluation on its val split). */
  afterTraining?: (model: tf.LayersModel, root: string) => Promise<void>;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface TrainPoseResult {
  backend: string;
  /** The dataset trained on (a temp dir is already removed when the call returns). */
  root: string;
  trainImages: number;
  params: number;
  fit: FitResult;
  model: tf.LayersModel;
  /** Model directory / latest epoch checkpoint written, when `outputDir` was given. */
  modelDir?: string;
  checkpoint?: string;
  seconds: number;
  /** `--dist` ranks: `weightsDigest` after the broadcast and after training (equal on every rank). */
  weightsDigests?: { start: string; end: string };
}

/** TRAIN.OPTIMIZER as `lib/utils/utils.py` get_optimizer builds it: Adam with the learning rate only; SGD with WD on every parameter. */
export function createPoseOptimizer(cfg: PoseConfig): tf.Optimizer {
  const t = cfg.TRAIN;
  if (t.OPTIMIZER === 'adam') return new Adam({ learningRate: t.LR, weightDecay: 0 });
  return new SGD({ learningRate: t.LR, momentum: t.MOMENTUM, nesterov: t.NESTEROV, weightDecay: t.WD, decayFilter: decayAll });
}

/** TRAIN.LR_STEP / LR_FACTOR (MultiStepLR stepped per epoch), or the port's cosine option. */
export function createPoseSchedule(cfg: PoseConfig, epochs: number, stepsPerEpoch: number) {
  const t = cfg.TRAIN;
  if (t.LR_SCHEDULER === 'cosine') {
    return createLrSchedule({ name: 'cosine', warmup_epochs: t.WARMUP_EPOCHS, min_lr: t.MIN_LR, per_step: true }, { baseLr: t.LR, epochs, stepsPerEpoch });
  }
  return createLrSchedule(
    { name: 'multistep', milestones: t.LR_STEP, gamma: t.LR_FACTOR, warmup_epochs: t.WARMUP_EPOCHS, per_step: false },
    { baseLr: t.LR, epochs, stepsPerEpoch },
  );
}

/** FP16 block or `--amp` → loss scaler (TF.js' CPU backends have no float16 compute: scaling only). */
function lossScaler(cfg: PoseConfig, amp: boolean): LossScaler | undefined {
  const f = cfg.FP16;
  if (amp) return createLossScaler({}, { amp: true });
  if (!f.ENABLED) return undefined;
  if (f.DYNAMIC_LOSS_SCALE) return createLossScaler({ type: 'dynamic' });
  return f.STATIC_LOSS_SCALE === 1 ? undefined : createLossScaler({ type: 'static', scale: f.STATIC_LOSS_SCALE });
}

/** Trains HigherHRNet as the config says; the body of `train.ts`. */
export async function trainPose(cfg: PoseConfig, opts: TrainPoseOptions = {}): Promise<TrainPoseResult> {
  const t0 = performance.now();
  const { dist, isMain, log } = runRole(opts);
  await initBackend(cfg.BACKEND, { log, threads: opts.threads, amp: opts.amp });
  // The kind chosen ('native' where tfjs reports 'wasm'), for the status lines.
  const backend = activeBackend()!.kind;

  let root = opts.datadir;
  let tempRoot: string | undefined;
  let data: PoseTrainData | undefined;
  try {
    if (!root) {
      root = opts.syntheticDir ?? (tempRoot = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-')));
      const s = cfg.DATASET.SYNTHETIC;
      const g0 = performance.now();
      const { train, val } = (await generateSyntheticDataset(cfg, root)) as Required<Awaited<ReturnType<typeof generateSyntheticDataset>>>;
      log(
        `[data] generated ${train.images} train / ${val.images} val images (${train.people + val.people} people, ` +
          `${train.crowdRegions + val.crowdRegions} crowd regions) of ${Array.isArray(s.IMAGE_SIZE) ? s.IMAGE_SIZE.join('x') : `${s.IMAGE_SIZE}x${s.IMAGE_SIZE}`} px ` +
          `in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${root}`,
      );
    }
    data = await PoseTrainData.open(cfg, root, { shard: dist && { rank: dist.rank, worldSize: dist.worldSize } });
    const d = cfg.DATASET;
    log(`[data] ${root}: ${data.set.length} ${d.TRAIN} images, input ${d.INPUT_SIZE}, heatmaps ${d.OUTPUT_SIZE.slice(0, cfg.LOSS.NUM_STAGES).join('/')}, ${cfg.WORKERS} worker thread(s)`);
    if (dist) log(`[dist] ${dist.worldSize} ranks x ${cfg.TRAIN.IMAGES_PER_GPU} images = global batch ${dist.worldSize * cfg.TRAIN.IMAGES_PER_GPU}, ${data.length} updates per epoch`);

    const net = networkConfig(cfg);
    const model = createHigherHRNet(net, { seed: cfg.TRAIN.SEED });
    const params = model.countParams();
    const c = cfg.MODEL.EXTRA.STAGE4.NUM_CHANNELS;
    log(`[model] HigherHRNet (stage-4 widths ${c.join('/')}): ${params.toLocaleString('en-US')} parameters; ${await loadPretrained(model, cfg, { pretrained: opts.pretrained, log })}`);

    if (opts.initWeights) log(`[model] weights from ${opts.initWeights} (${await loadPoseWeights(model, opts.initWeights)})`);
    const parallel = await joinDataParallel(model, dist);
    if (dist?.syncBn) log(`[dist] synchronized BatchNorm in ${parallel.syncBnLayers} layers`);

    const epochs = opts.maxEpochs ?? cfg.TRAIN.END_EPOCH;
    const trainer = new Trainer<KeypointBatch>({
      task: higherHrnetTask(model, net, poseCodec(cfg)),
      optimizer: createPoseOptimizer(cfg),
      lrSchedule: createPoseSchedule(cfg, epochs, data.length),
      lossScaler: lossScaler(cfg, opts.amp ?? false),
      gradientReducer: parallel.gradientReducer,
      isMain,
      seed: cfg.TRAIN.SEED,
      config: cfg,
      progress: opts.progress,
      stream: opts.stream,
      onLog: opts.onLog,
      // TRAIN.IMAGES_PER_GPU per optimizer step, as written; TRAIN.MICRO_BATCH images per forward/backward pass.
      microBatch: { size: cfg.TRAIN.MICRO_BATCH, slicer: keypointBatchSlicer },
    });
    const manager = opts.outputDir ? new PoseCheckpointManager({ dir: opts.outputDir, keepMax: cfg.TRAIN.KEEP_CHECKPOINTS, force: opts.force }, cfg) : undefined;
    let resume = opts.resume;
    if (!resume && manager && (cfg.AUTO_RESUME || cfg.TRAIN.RESUME)) {
      resume = await manager.latest();
      if (resume) log(`[train] resuming from ${resume} (${cfg.AUTO_RESUME ? 'AUTO_RESUME' : 'TRAIN.RESUME'})`);
    }
    resume ??= cfg.TRAIN.CHECKPOINT || undefined;
    if (resume && epochs <= cfg.TRAIN.BEGIN_EPOCH) throw new Error(`nothing to train: END_EPOCH ${epochs} <= BEGIN_EPOCH ${cfg.TRAIN.BEGIN_EPOCH}`);
    const fit = await trainer.fit(data, {
      epochs,
      initialEpoch: cfg.TRAIN.BEGIN_EPOCH,
      maxSteps: opts.maxSteps,
      resume,
      checkpoint: manager,
      metricsLog: cfg.LOG_DIR ? join(cfg.LOG_DIR, 'metrics.jsonl') : undefined,
    });
    trainer.optimizer.dispose();
    if (opts.afterTraining && isMain) await opts.afterTraining(model, root);
    const result: TrainPoseResult = {
      backend,
      root,
      trainImages: data.set.length,
      params,
      fit,
      model,
      modelDir: manager?.modelDir,
      checkpoint: manager?.lastSaved,
      seconds: (performance.now() - t0) / 1000,
      weightsDigests: parallel.startDigest ? { start: parallel.startDigest, end: await weightsDigest(model) } : undefined,
    };
    if (!opts.keepModel) model.dispose();
    return result;
  } finally {
    await data?.close();
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  }
}
