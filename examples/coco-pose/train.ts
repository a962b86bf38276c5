/**
 * Trains HigherHRNet on a COCO keypoints folder, or on a generated synthetic one (no --datadir).
 *
 *   tsx train.ts --cfg configs/w32_512_adam_lr1e-3.yaml --datadir /data/coco2017 [--max_epochs=N] [--amp] [--dist N [--sync_bn]]
 *                [--resume <checkpoint>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { BadSampleError, CocoFormatError, ImageDecodeError } from '@hrnet/data-coco';
import { ArgsError, CheckpointError, checkTrainArgs, ConfigError, launchDataParallel, parseTrainArgs, TRAIN_ARGS_USAGE, TrainingDivergedError, type TrainArgs } from '@hrnet/train';
import { loadPoseModel } from './src/checkpoint.js';
import { configName, loadPoseConfig, type PoseConfig } from './src/config.js';
import { generateSyntheticDataset } from './src/data.js';
import type { DistWorkerData, DistWorkerResult } from './src/dist-worker.js';
import { evaluatePose, formatApTable, resultsFileIn } from './src/evaluate.js';
import { trainPose } from './src/train-pose.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <coco root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
Without --datadir a synthetic COCO dataset (DATASET.SYNTHETIC) is generated in a temp dir, and evaluated after training.
--dist N: N data-parallel worker threads, each with TRAIN.IMAGES_PER_GPU images of every global batch (as N GPUs).
--datadir <coco root>: annotations/person_keypoints_{train,val}2017.json, images/{train,val}2017/ (or {train,val}2017/).
${TRAIN_ARGS_USAGE}`;

/** The official output folder: OUTPUT_DIR/<DATASET.DATASET>/<MODEL.NAME>/<config name>. */
function outputDir(cfg: PoseConfig, cfgFile: string): string {
  return join(cfg.OUTPUT_DIR || 'output', cfg.DATASET.DATASET, cfg.MODEL.NAME, configName(cfgFile));
}

async function evaluateGenerated(model: tf.LayersModel, cfg: PoseConfig, root: string, out: string): Promise<void> {
  const ev = await evaluatePose(model, cfg, { root, resultsFile: resultsFileIn(out, cfg) });
  console.log(`[valid] ${ev.images} generated ${cfg.DATASET.TEST} images in ${ev.seconds.toFixed(1)} s (flip test ${cfg.TEST.FLIP_TEST ? 'on' : 'off'}):`);
  console.log(formatApTable(ev.evaluation));
}

/** `--dist N`: the dataset (generated here when needed), N ranks in worker threads, then the evaluation. */
async function trainDistributed(cfg: PoseConfig, args: TrainArgs, out: string, worldSize: number): Promise<void> {
  const t0 = performance.now();
  let root = args.datadir;
  let temp: string | undefined;
  try {
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-coco-pose-'));
      const { train, val } = await generateSyntheticDataset(cfg, root);
      console.log(`[data] generated ${train!.images} train / ${val!.images} val images: ${root}`);
    }
    const threads = Math.max(1, Math.floor(availableParallelism() / worldSize));
    const data: DistWorkerData = {
      cfg,
      opts: { datadir: root, maxEpochs: args.max_epochs, outputDir: out, resume: args.resume, force: args.force, initWeights: args.ckpt_path, amp: args.amp, threads, syncBn: args.sync_bn },
    };
    const results = await launchDataParallel<DistWorkerResult>({ worldSize, module: new URL('./src/dist-worker.ts', import.meta.url), data });
    const r = results[0];
    console.log(
      `done in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${r.backend} x ${worldSize} ranks: ${r.steps} updates, final loss ${r.finalLoss?.toFixed(5) ?? 'n/a'}; ` +
        `model: ${r.modelDir}, checkpoint: ${r.checkpoint ?? 'none (no epoch completed)'}`,
    );
    if (temp && r.modelDir) {
      await initBackend(cfg.BACKEND, { log: () => {} });
      const { model } = await loadPoseModel(r.modelDir, cfg);
      try {
        await evaluateGenerated(model, cfg, root, out);
      } finally {
        model.dispose();
      }
    } else if (args.datadir) {
      console.log(`evaluate: tsx valid.ts --cfg ${args.cfg} --datadir ${args.datadir} --ckpt ${r.modelDir}`);
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = parseTrainArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  checkTrainArgs(args);

  const cfg = await loadPoseConfig(args.cfg);
  if (args.bad_samples) cfg.DATASET.BAD_SAMPLES = args.bad_samples; // the flag overrides the config key
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  if (args.dist != null && args.dist > 1) return trainDistributed(cfg, args, out, args.dist);
  const result = await trainPose(cfg, {
    datadir: args.datadir,
    maxEpochs: args.max_epochs,
    outputDir: out,
    resume: args.resume,
    force: args.force,
    initWeights: args.ckpt_path,
    amp: args.amp,
    // The generated dataset lives in a temp dir: evaluate on its val split before it is removed.
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root, out),
  });
  const last = result.fit.history.at(-1);
  console.log(
    `done in ${result.seconds.toFixed(1)} s on ${result.backend}: ${result.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; ` +
      `model: ${result.modelDir}, checkpoint: ${result.checkpoint ?? 'none (no epoch completed)'}`,
  );
  if (args.datadir) console.log(`evaluate: tsx valid.ts --cfg ${args.cfg} --datadir ${args.datadir} --ckpt ${result.modelDir}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : [CheckpointError, TrainingDivergedError, BadSampleError, ImageDecodeError, CocoFormatError].some((c) => e instanceof c) ? `error: ${e.message}` : (e.stack ?? String(e)));
  process.exitCode = 1;
});
