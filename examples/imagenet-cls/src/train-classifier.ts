import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeBackend, initBackend, type BadSamplePolicy } from '@hrnet/core';
import { loadPretrained } from '@hrnet/heads';
import { generateImageFolderDataset, type ImageBatch } from '@hrnet/data-imagenet';
import {
  CheckpointManager,
  ConfigError,
  createLossScaler,
  createLrSchedule,
  createOptimizer,
  joinDataParallel,
  runRole,
  Trainer,
  weightsDigest,
  type DataParallelOptions,
  type FitResult,
  type ProgressMode,
} from '@hrnet/train';
import { buildModel, classifierTask, loadWeights, scanDataset, trainLoader, valLoader } from './build.js';
import type { ClassificationConfig } from './config.js';

export interface TrainClassifierOptions {
  /** ImageNet-layout root with train/ and val/; default: generate `data.synthetic` into a temp dir. */
  datadir?: string;
  /** Overrides `epochs`. */
  maxEpochs?: number;
  /** Stop after this many updates (smoke tests). */
  maxSteps?: number;
  /** Dynamic loss scaling (`--amp`). */
  amp?: boolean;
  /** Continue from a checkpoint (`--resume`). */
  resume?: string;
  /** Initialise the weights from our checkpoint or timm weights (`--ckpt_path`). */
  ckptPath?: string;
  /** Start from timm's published weights of `model.name` (`--pretrained [tag]`), downloaded once into the cache. */
  pretrained?: true | string;
  /** Overrides `checkpoint.dir` (`--ckpt_save_dir`). */
  ckptSaveDir?: string;
  /** Train into a checkpoint folder holding another run (`--force`). */
  force?: boolean;
  /** Images that cannot be decoded: skipped and counted (default) or the run stops (`--bad_samples`). */
  badSamples?: BadSamplePolicy;
  /** Data-parallel context when running as a rank (`--dist`, mpirun). */
  dist?: DataParallelOptions;
  progress?: ProgressMode;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Status lines (backend, dataset, model). Default console.log. */
  log?: (line: string) => void;
}

export interface TrainClassifierResult {
  backend: string;
  numClasses: number;
  trainImages: number;
  valImages: number;
  params: number;
  fit: FitResult;
  /** Top-1 accuracy on val after the last epoch (NaN on non-main ranks). */
  top1: number;
  top5?: number;
  /** Mean time per batch spent waiting for data, in % of the training time. */
  dataWaitPct: number;
  skippedImages: number;
  seconds: number;
  /** `--dist` ranks: `weightsDigest` after the broadcast and after training (equal on every rank). */
  weightsDigests?: { start: string; end: string };
}

/** Writes `data.synthetic` to a temp dir; returns it and a cleanup. */
export async function prepareSyntheticData(cfg: ClassificationConfig, log: (line: string) => void): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const syn = cfg.data.synthetic;
  if (!syn) throw new Error('no --datadir given and the config has no data.synthetic section');
  const root = await mkdtemp(join(tmpdir(), 'hrnet-imagenet-cls-'));
  const ds = await generateImageFolderDataset(root, { classes: syn.classes, trainPerClass: syn.train_per_class, valPerClass: syn.val_per_class, size: syn.size, seed: cfg.seed });
  log(`[data] synthetic dataset: ${ds.classes.length} classes (${ds.names.join(', ')}), ${ds.train} train / ${ds.val} val JPEGs of ${syn.size}px in ${root}`);
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** Trains an HRNet classifier as the config says; the body of `train.ts` (and of each `--dist` worker). */
export async function trainClassifier(cfg: ClassificationConfig, opts: TrainClassifierOptions = {}): Promise<TrainClassifierResult> {
  const t0 = performance.now();
  const { dist, isMain, log } = runRole(opts);
  await initBackend(cfg.backend, { log, amp: opts.amp });
  // The kind chosen ('native' where tfjs reports 'wasm'), for the status lines.
  const backend = activeBackend()!.kind;

  let root = opts.datadir;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    if (!root) ({ root, cleanup } = await prepareSyntheticData(cfg, log));
    const { train: trainFolder, val: valFolder, classes } = await scanDataset(cfg, root);
    const numClasses = cfg.model.num_classes ?? classes.length;
    const shard = dist ? { rank: dist.rank, worldSize: dist.worldSize } : undefined;
    const trainData = trainLoader(cfg, trainFolder!, shard, opts.badSamples);
    if (trainData.length === 0) {
      // A data-parallel run drops the last partial global batch (every rank needs a slice of it).
      throw new ConfigError(`${trainFolder!.root}: ${trainFolder!.samples.length} training images cannot fill one step of batch_size ${cfg.batch_size} across ${shard?.worldSize ?? 1} data-parallel rank(s)`);
    }
    const valData = valLoader(cfg, valFolder, cfg.batch_size, opts.badSamples);
    const size = cfg.data.image_size;
    log(
      `[data] ${root}: ${classes.length} classes, ${trainFolder!.samples.length} train / ${valFolder.samples.length} val images, ${size}x${size} crops` +
        (shard ? `, ${shard.worldSize} data-parallel workers x ${cfg.batch_size / shard.worldSize} images per step` : ''),
    );

    const model = buildModel(cfg, numClasses);
    log(`[model] ${cfg.model.name ?? 'HRNet from model.cfg'}: ${model.countParams().toLocaleString('en-US')} parameters, ${numClasses} classes`);
    if (opts.pretrained) {
      if (!cfg.model.name) throw new Error('--pretrained needs model.name (a preset with published weights), not model.cfg');
      await loadPretrained(model, cfg.model.name, { pretrained: opts.pretrained, log });
      log(`[model] initialised from the published ${cfg.model.name} weights${opts.pretrained === true ? '' : ` (tag ${opts.pretrained})`}`);
    }
    if (opts.ckptPath) log(`[model] initialised from ${opts.ckptPath} (${await loadWeights(model, opts.ckptPath)} weights)`);
    const parallel = await joinDataParallel(model, dist);
    if (parallel.syncBnLayers) log(`[dist] synchronized BatchNorm in ${parallel.syncBnLayers} layers`);

    const epochs = opts.maxEpochs ?? cfg.epochs;
    const optimizer = createOptimizer(cfg.optimizer);
    const lossScaler = createLossScaler(cfg.loss_scale, { amp: opts.amp });
    if (lossScaler) log(`[train] loss scaling: ${lossScaler.checksOverflow && opts.amp ? 'dynamic (--amp)' : JSON.stringify(lossScaler.getState())}`);
    const trainer = new Trainer<ImageBatch>({
      task: classifierTask(cfg, model),
      optimizer,
      lrSchedule: createLrSchedule(cfg.scheduler, { baseLr: cfg.optimizer.lr, epochs, stepsPerEpoch: trainData.length }),
      gradClip: cfg.optimizer.clip_grad ? { max: cfg.optimizer.clip_grad, mode: cfg.optimizer.clip_mode } : undefined,
      lossScaler,
      gradientReducer: parallel.gradientReducer,
      isMain: parallel.isMain,
      seed: cfg.seed,
      config: cfg,
      progress: opts.progress,
      stream: opts.stream,
      // batch_size is the recipe's (per step); micro_batch how much of it one forward/backward pass holds.
      microBatch: { size: cfg.micro_batch },
    });
    const ckptDir = opts.ckptSaveDir ?? cfg.checkpoint.dir;
    const checkpoint = ckptDir
      ? new CheckpointManager({ dir: ckptDir, prefix: cfg.model.name ?? 'hrnet', keepMax: cfg.checkpoint.keep_max, every: cfg.checkpoint.every, bestMetric: cfg.checkpoint.best_metric ?? 'top1', force: opts.force })
      : undefined;
    let fit: FitResult;
    try {
      fit = await trainer.fit(trainData, {
        epochs,
        valData,
        evalInterval: cfg.eval_interval,
        maxSteps: opts.maxSteps,
        checkpoint,
        resume: opts.resume,
        metricsLog: cfg.metrics_log,
      });
    } finally {
      await Promise.all([trainData.close(), valData.close()]);
    }
    const skippedImages = trainData.skippedCount + valData.skippedCount;
    if (skippedImages > 0) log(`[data] skipped ${skippedImages} corrupt image(s)`);
    if (checkpoint && isMain) log(`[ckpt] checkpoints in ${ckptDir}${fit.best ? ` (best ${fit.best.metric} ${fit.best.value.toFixed(4)} at epoch ${fit.best.epoch})` : ''}`);
    const lastVal = [...fit.history].reverse().find((h) => h.val)?.val;
    const trainMs = fit.history.reduce((a, h) => a + h.epochTimeMs, 0);
    const waitMs = fit.history.reduce((a, h) => a + (h.dataWaitMs ?? 0), 0);
    const params = model.countParams();
    const weightsDigests = parallel.startDigest ? { start: parallel.startDigest, end: await weightsDigest(model) } : undefined;
    optimizer.dispose();
    model.dispose();
    return {
      backend,
      numClasses,
      trainImages: trainFolder!.samples.length,
      valImages: valFolder.samples.length,
      params,
      fit,
      top1: lastVal?.metrics.top1 ?? NaN,
      top5: lastVal?.metrics.top5,
      dataWaitPct: trainMs > 0 ? (100 * waitMs) / trainMs : 0,
      skippedImages,
      seconds: (performance.now() - t0) / 1000,
      weightsDigests,
    };
  } finally {
    if (cleanup) await cleanup();
  }
}
