/**
 * Trains HigherHRNet on a COCO keypoints folder, or on a generated synthetic one (no --datadir).
 *
 *   tsx train.ts --cfg configs/w32_512_adam_lr1e-3.yaml --datadir /data/coco2017 [--max_epochs=N] [--amp] [--dist N [--sync_bn]]
 *                [--resume <checkpoint>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 *   mpirun -n N npx tsx train.ts --cfg … --datadir …      (every rank its shard of each global batch)
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { BadSampleError, CocoFormatError, ImageDecodeError } from '@hrnet/data-coco';
import { ArgsError, CheckpointError, checkTrainArgs, ConfigError, dataParallelRole, DistAbortError, launchProcesses, parseTrainArgs, TRAIN_ARGS_USAGE, TrainingDivergedError } from '@hrnet/train';
import { configName, loadPoseConfig, type PoseConfig } from './src/config.js';
import { evaluatePose, formatApTable, resultsFileIn } from './src/evaluate.js';
import { trainPose } from './src/train-pose.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <coco root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
Without --datadir a synthetic COCO dataset (DATASET.SYNTHETIC) is generated in a temp dir, and evaluated after training.
--dist N (or mpirun -n N tsx train.ts ...): N data-parallel processes, each with TRAIN.IMAGES_PER_GPU images of every global batch (as N GPUs).
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

async function main(): Promise<void> {
  const args = parseTrainArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  checkTrainArgs(args);

  const cfg = await loadPoseConfig(args.cfg);
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  const role = await dataParallelRole(args.dist, { devices: args.device });
  if (role.kind === 'launcher') {
    // Every rank runs this script with these flags (a synthetic dataset is generated from its seed by each).
    console.log(`[dist] ${role.worldSize} data-parallel processes on this machine, ${cfg.TRAIN.IMAGES_PER_GPU} images each per step (as ${role.worldSize} GPUs)`);
    return launchProcesses({ worldSize: role.worldSize, devices: args.device });
  }
  const dist = role.kind === 'rank' ? { ...role.dist, syncBn: args.sync_bn } : undefined;
  const isMain = !dist || dist.rank === 0;
  const result = await trainPose(cfg, {
    dist,
    // the ranks share the machine's cores
    threads: dist && Math.max(1, Math.floor(availableParallelism() / dist.worldSize)),
    datadir: args.datadir,
    maxEpochs: args.max_epochs,
    outputDir: out,
    resume: args.resume,
    initWeights: args.ckpt_path,
    amp: args.amp,
    // The generated dataset lives in a temp dir: evaluate on its val split before it is removed.
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root, out),
  });
  if (!isMain) return;
  const last = result.fit.history.at(-1);
  console.log(
    `done in ${result.seconds.toFixed(1)} s on ${result.backend}: ${result.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; ` +
      `model: ${result.modelDir}, checkpoint: ${result.checkpoint ?? 'none (no epoch completed)'}`,
  );
  if (args.datadir) console.log(`evaluate: tsx valid.ts --cfg ${args.cfg} --datadir ${args.datadir} --ckpt ${result.modelDir}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : [CheckpointError, TrainingDivergedError, DistAbortError, BadSampleError, ImageDecodeError, CocoFormatError].some((c) => e instanceof c) ? `error: ${e.message}` : (e.stack ?? String(e)));
  process.exitCode = 1;
});
