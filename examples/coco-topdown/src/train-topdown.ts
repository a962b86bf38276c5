import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import type { TopDownBatch } from '@hrnet/data-coco';
import { createTopDownModel, topDownTask } from '@hrnet/heads';
import {
  Adam,
  CheckpointManager,
  createLossScaler,
  createLrSchedule,
  joinDataParallel,
  runRole,
  Trainer,
  weightsDigest,
  type FitResult,
  type TrainingOptions,
} from '@hrnet/train';
import { loadTopDownWeights } from './checkpoint.js';
import { familyConfig, topDownCodec, type TopDownExampleConfig } from './config.js';
import { generateSyntheticDataset, TopDownTrainData } from './data.js';

export interface TrainTopDownOptions extends TrainingOptions {
  /** Stop after this many updates (smoke tests). */
  maxSteps?: number;
  /** Runs after training, before a generated temp dataset is removed (e.g. evaluation on its val split). */
  afterTraining?: (model: tf.LayersModel, root: string) => Promise<void>;
}

export interface TrainTopDownResult {
  backend: string;
  root: string;
  people: number;
  params: number;
  fit: FitResult;
  model: tf.LayersModel;
  checkpoint?: string;
  seconds: number;
  weightsDigests?: { start: string; end: string };
}

/**
 * `lr_config` as @hrnet/train's schedule: MMCV's step policy (decay by `gamma` at the listed epochs) or
 * CosineAnnealing per iteration to `min_lr`; the linear warmup over `warmup_iters` iterations from `lr x warmup_ratio`.
 */
export function createTopDownSchedule(cfg: TopDownExampleConfig, epochs: number, stepsPerEpoch: number) {
  const l = cfg.lr_config;
  const baseLr = cfg.optimizer.lr;
  const warmup = l.warmup === 'linear' ? { warmup_epochs: l.warmup_iters / stepsPerEpoch, warmup_lr: baseLr * l.warmup_ratio } : {};
  if (l.policy === 'CosineAnnealing') return createLrSchedule({ name: 'cosine', min_lr: l.min_lr, per_step: true, ...warmup }, { baseLr, epochs, stepsPerEpoch });
  return createLrSchedule({ name: 'multistep', milestones: l.step, gamma: l.gamma, per_step: true, ...warmup }, { baseLr, epochs, stepsPerEpoch });
}

/** Trains the config's top-down model on ground-truth person boxes; the body of `train.ts` (and of each `--dist` rank). */
export async function trainTopDown(cfg: TopDownExampleConfig, opts: TrainTopDownOptions = {}): Promise<TrainTopDownResult> {
  const t0 = performance.now();
  const { dist, isMain, log } = runRole(opts);
  await initBackend(cfg.backend, { log, threads: opts.threads, amp: opts.amp });
  const backend = activeBackend()!.kind;
  // The network first: a size it cannot take fails before any data is read or generated.
  const family = familyConfig(cfg);
  const model = createTopDownModel(family, { seed: cfg.seed });
  const params = model.countParams();
  log(`[model] ${cfg.model.backbone.type} top-down: ${params.toLocaleString('en-US')} parameters; N(0, 0.001) conv initialisation`);
  let root = opts.datadir;
  let tempRoot: string | undefined;
  let done = false;
  try {
    if (!root) {
      root = opts.syntheticDir ?? (tempRoot = await mkdtemp(join(tmpdir(), 'hrnet-coco-topdown-')));
      const g0 = performance.now();
      const { train, val } = await generateSyntheticDataset(cfg, root);
      log(`[data] generated ${train!.images} train / ${val!.images} val images (${train!.people + val!.people} people) in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${root}`);
    }
    const data = await TopDownTrainData.open(cfg, root, { shard: dist && { rank: dist.rank, worldSize: dist.worldSize }, log });
    const [w, h] = cfg.data_cfg.image_size;
    log(`[data] ${root}: ${data.set.length} people (ground-truth boxes), input ${w}x${h} (WxH), heatmaps ${cfg.data_cfg.heatmap_size.join('x')}, ${data.length} updates per epoch`);

    if (opts.initWeights) log(`[model] weights from ${opts.initWeights} (${await loadTopDownWeights(model, opts.initWeights)})`);
    const parallel = await joinDataParallel(model, dist);
    if (dist?.syncBn) log(`[dist] synchronized BatchNorm in ${parallel.syncBnLayers} layers`);
    const epochs = opts.maxEpochs ?? cfg.total_epochs;
    const trainer = new Trainer<TopDownBatch>({
      task: topDownTask(model, family, topDownCodec(cfg)),
      optimizer: new Adam({ learningRate: cfg.optimizer.lr, weightDecay: cfg.optimizer.weight_decay }),
      lrSchedule: createTopDownSchedule(cfg, epochs, data.length),
      lossScaler: opts.amp ? createLossScaler({}, { amp: true }) : undefined,
      gradientReducer: parallel.gradientReducer,
      isMain,
      seed: cfg.seed,
      config: cfg,
      progress: opts.progress,
      onLog: opts.onLog,
    });
    const manager = opts.outputDir ? new CheckpointManager({ dir: opts.outputDir, prefix: 'checkpoint', keepMax: cfg.keep_checkpoints, force: opts.force }) : undefined;
    const fit = await trainer.fit(data, { epochs, maxSteps: opts.maxSteps, resume: opts.resume, checkpoint: manager });
    trainer.optimizer.dispose();
    if (opts.afterTraining && isMain) await opts.afterTraining(model, root);
    const result: TrainTopDownResult = {
      backend,
      root,
      people: data.set.length,
      params,
      fit,
      model,
      checkpoint: manager?.lastSaved,
      seconds: (performance.now() - t0) / 1000,
      weightsDigests: parallel.startDigest ? { start: parallel.startDigest, end: await weightsDigest(model) } : undefined,
    };
    done = true;
    return result;
  } finally {
    if (!done || !opts.keepModel) model.dispose();
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  }
}
