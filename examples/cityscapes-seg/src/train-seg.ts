import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import { CITYSCAPES_CLASS_WEIGHTS, type CityscapesBatch } from '@hrnet/data-cityscapes';
import { segmentationTask } from '@hrnet/heads';
import {
  Adam,
  CheckpointManager,
  createLossScaler,
  decayAll,
  joinDataParallel,
  polySchedule,
  runRole,
  SGD,
  Trainer,
  weightsDigest,
  type FitResult,
  type TrainingOptions,
} from '@hrnet/train';
import { buildSegmenter, checkpointConfig, loadPretrained, loadSegModel } from './checkpoint.js';
import { lossOptions, type SegConfig } from './config.js';
import { firstFew, generateSyntheticData, SegTrainData, splitSamples } from './data.js';
import { evaluateSegmentation, type SegEvaluation } from './evaluate.js';

export interface TrainSegOptions extends TrainingOptions {
  /** Evaluate on DATASET.TEST_SET after training (mIoU). Default true. */
  evaluate?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface TrainSegResult {
  backend: string;
  trainImages: number;
  /** Training samples left out as unusable (missing gtFine at the scan, undecodable or inconsistent during training). */
  badSamples: string[];
  params: number;
  fit: FitResult;
  /** The evaluation after training (rank 0, unless `evaluate: false`). */
  evaluation?: SegEvaluation;
  model?: tf.LayersModel;
  checkpoint?: string;
  seconds: number;
  /** `--dist` ranks: `weightsDigest` after the broadcast and after training (equal on every rank). */
  weightsDigests?: { start: string; end: string };
}

/** TRAIN.OPTIMIZER: tools/train.py's SGD (momentum, WD on every parameter, Nesterov as set), or Adam (port addition). */
export function createSegOptimizer(cfg: SegConfig): tf.Optimizer {
  const t = cfg.TRAIN;
  if (t.OPTIMIZER === 'adam') return new Adam({ learningRate: t.LR, weightDecay: t.WD, decayFilter: decayAll });
  return new SGD({ learningRate: t.LR, momentum: t.MOMENTUM, nesterov: t.NESTEROV, weightDecay: t.WD, decayFilter: decayAll });
}

/** Trains HRNetV2 as the config says (tools/train.py), then evaluates mIoU on the test set; the body of `train.ts`. */
export async function trainSegmentation(cfg: SegConfig, opts: TrainSegOptions = {}): Promise<TrainSegResult> {
  const t0 = performance.now();
  const { dist, isMain, log } = runRole(opts);
  let root = opts.datadir;
  let tempRoot: string | undefined;
  let model: tf.LayersModel | undefined;
  let optimizer: tf.Optimizer | undefined;
  try {
    if (!root) {
      root = opts.syntheticDir ?? (tempRoot = await mkdtemp(join(tmpdir(), 'hrnet-cityscapes-seg-')));
      const g0 = performance.now();
      const g = await generateSyntheticData(cfg, root);
      const [w, h] = cfg.DATASET.SYNTHETIC!.IMAGE_SIZE;
      log(`[data] generated ${g.train} train / ${g.val} val images of ${w}x${h} px in ${((performance.now() - g0) / 1000).toFixed(1)} s: ${root}`);
    }
    const train = await splitSamples(cfg, root, cfg.DATASET.TRAIN_SET, cfg.TRAIN.NUM_SAMPLES);
    if (train.leftOut.length) log(`[data] left out ${train.leftOut.length} image(s) without their gtFine file (DATASET.BAD_SAMPLES skip): ${firstFew(train.leftOut)}`);
    const shard = dist && { rank: dist.rank, worldSize: dist.worldSize };
    const data = new SegTrainData(cfg, train.samples, { shard, log });
    const [cw, ch] = cfg.TRAIN.IMAGE_SIZE;
    log(`[data] ${train.source}: ${train.samples.length} training images, crops ${cw}x${ch}, batch ${cfg.TRAIN.BATCH_SIZE_PER_GPU}${dist ? ` x ${dist.worldSize} ranks` : ''}, ${data.length} updates per epoch`);
    if (opts.initWeights) await checkpointConfig(opts.initWeights, cfg); // the file is there

    // The backend starts once the data and the weights file are known to be there (bad input fails before it).
    await initBackend(cfg.BACKEND, { log, threads: opts.threads, amp: opts.amp });
    // The kind chosen ('native' where tfjs reports 'wasm'), for the status lines.
    const backend = activeBackend()!.kind;

    model = buildSegmenter(cfg, cfg.TRAIN.SEED);
    const params = model.countParams();
    log(`[model] HRNetV2 (stage-4 widths ${cfg.MODEL.EXTRA.STAGE4.NUM_CHANNELS.join('/')}): ${params.toLocaleString('en-US')} parameters; ${await loadPretrained(model, cfg)}`);
    if (opts.initWeights) {
      const init = await loadSegModel(opts.initWeights, cfg);
      model.setWeights(init.model.getWeights());
      init.model.dispose();
      log(`[model] weights from ${opts.initWeights} (${init.kind})`);
    }
    const parallel = await joinDataParallel(model, dist);
    if (dist?.syncBn) log(`[dist] synchronized BatchNorm in ${parallel.syncBnLayers} layers`);

    const epochs = opts.maxEpochs ?? cfg.TRAIN.END_EPOCH;
    optimizer = createSegOptimizer(cfg);
    const trainer = new Trainer<CityscapesBatch>({
      task: segmentationTask({ model, ...lossOptions(cfg, CITYSCAPES_CLASS_WEIGHTS) }),
      optimizer,
      // tools/train.py: poly decay over END_EPOCH x iterations per epoch, set before every iteration.
      lrSchedule: polySchedule({ baseLr: cfg.TRAIN.LR, totalSteps: epochs * data.length }),
      lossScaler: opts.amp ? createLossScaler({}, { amp: true }) : undefined,
      gradientReducer: parallel.gradientReducer,
      isMain,
      seed: cfg.TRAIN.SEED,
      config: cfg,
      progress: opts.progress,
      stream: opts.stream,
      onLog: opts.onLog,
    });
    const manager = opts.outputDir ? new CheckpointManager({ dir: opts.outputDir, prefix: 'checkpoint', keepMax: cfg.TRAIN.KEEP_CHECKPOINTS, force: opts.force }) : undefined;
    let resume = opts.resume;
    if (!resume && manager && (cfg.AUTO_RESUME || cfg.TRAIN.RESUME)) {
      resume = await manager.latest();
      if (resume) log(`[train] resuming from ${resume} (${cfg.AUTO_RESUME ? 'AUTO_RESUME' : 'TRAIN.RESUME'})`);
    }
    const fit = await trainer.fit(data, {
      epochs,
      initialEpoch: cfg.TRAIN.BEGIN_EPOCH,
      resume,
      checkpoint: manager,
      metricsLog: cfg.LOG_DIR ? join(cfg.LOG_DIR, 'metrics.jsonl') : undefined,
    });

    let evaluation: SegEvaluation | undefined;
    if (isMain && opts.evaluate !== false) {
      const val = await splitSamples(cfg, root, cfg.DATASET.TEST_SET, cfg.TEST.NUM_SAMPLES);
      evaluation = await evaluateSegmentation(model, cfg, val.samples);
      evaluation.leftOut.unshift(...val.leftOut);
    }
    const result: TrainSegResult = {
      backend,
      trainImages: train.samples.length,
      badSamples: [...train.leftOut, ...data.badSamples],
      params,
      fit,
      evaluation,
      model: opts.keepModel ? model : undefined,
      checkpoint: manager?.lastSaved,
      seconds: (performance.now() - t0) / 1000,
      weightsDigests: parallel.startDigest ? { start: parallel.startDigest, end: await weightsDigest(model) } : undefined,
    };
    if (opts.keepModel) model = undefined;
    return result;
  } finally {
    optimizer?.dispose();
    model?.dispose();
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
  }
}
