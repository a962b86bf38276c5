/**
 * Trains a top-down pose model (HF-HRNet, HRNet-W32) on the ground-truth person boxes of a COCO keypoints folder, or
 * of a generated synthetic one (no --datadir; then evaluated on its val split).
 *
 *   tsx train.ts --cfg configs/hf_hrnet_18_coco_256x192.yaml --datadir /data/coco [--max_epochs N] [--amp] [--dist N [--sync_bn]]
 *                [--resume <checkpoint>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { ArgsError, checkTrainArgs, launchDataParallel, parseTrainArgs, TRAIN_ARGS_USAGE, type TrainArgs } from '@hrnet/train';
import { loadTopDownModel } from './src/checkpoint.js';
import { configName, loadTopDownConfig, type TopDownExampleConfig } from './src/config.js';
import { generateSyntheticDataset } from './src/data.js';
import type { DistWorkerData, DistWorkerResult } from './src/dist-worker.js';
import { evaluateTopDown, formatApTable } from './src/evaluate.js';
import { trainTopDown } from './src/train-topdown.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <coco root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
Trains on ground-truth person boxes. Without --datadir the config's synthetic COCO set is generated in a temp dir and
evaluated (ground-truth boxes) after training.
--datadir <coco root>: annotations/person_keypoints_{train,val}2017.json, images/{train,val}2017/ (or {train,val}2017/).
${TRAIN_ARGS_USAGE}`;

/** MMPose's work_dirs/<config name>. */
const outputDir = (cfgFile: string) => join('work_dirs', configName(cfgFile));

async function evaluateGenerated(model: tf.LayersModel, cfg: TopDownExampleConfig, root: string): Promise<void> {
  const ev = await evaluateTopDown(model, cfg, { root, gtBoxes: true });
  console.log(`[valid] ${ev.images} generated val images, ${ev.boxes} ground-truth boxes in ${ev.seconds.toFixed(1)} s (flip test ${cfg.model.test_cfg.flip_test ? 'on' : 'off'}):`);
  console.log(formatApTable(ev.evaluation));
}

/** `--dist N`: the dataset (generated here when needed), N ranks in worker threads, then the evaluation. */
async function trainDistributed(cfg: TopDownExampleConfig, args: TrainArgs, out: string, worldSize: number): Promise<void> {
  let root = args.datadir;
  let temp: string | undefined;
  try {
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-coco-topdown-'));
      await generateSyntheticDataset(cfg, root);
    }
    const threads = Math.max(1, Math.floor(availableParallelism() / worldSize));
    const data: DistWorkerData = { cfg, opts: { datadir: root, maxEpochs: args.max_epochs, outputDir: out, resume: args.resume, initWeights: args.ckpt_path, amp: args.amp, threads, syncBn: args.sync_bn } };
    const [r] = await launchDataParallel<DistWorkerResult>({ worldSize, module: new URL('./src/dist-worker.ts', import.meta.url), data });
    console.log(`done on ${r!.backend} x ${worldSize} ranks: ${r!.steps} updates, final loss ${r!.finalLoss?.toFixed(6) ?? 'n/a'}; checkpoint: ${r!.checkpoint ?? 'none'}`);
    if (temp && r!.checkpoint) {
      await initBackend(cfg.backend, { log: () => {} });
      const { model } = await loadTopDownModel(r!.checkpoint, cfg);
      try {
        await evaluateGenerated(model, cfg, root);
      } finally {
        model.dispose();
      }
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
  const cfg = await loadTopDownConfig(args.cfg);
  const out = args.ckpt_save_dir ?? outputDir(args.cfg);
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  if (args.dist != null && args.dist > 1) return trainDistributed(cfg, args, out, args.dist);
  const r = await trainTopDown(cfg, {
    datadir: args.datadir,
    maxEpochs: args.max_epochs,
    outputDir: out,
    resume: args.resume,
    initWeights: args.ckpt_path,
    amp: args.amp,
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root),
  });
  const last = r.fit.history.at(-1);
  console.log(`done in ${r.seconds.toFixed(1)} s on ${r.backend}: ${r.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(6) : 'n/a'}; checkpoint: ${r.checkpoint ?? 'none (no epoch completed)'}`);
  if (args.datadir && r.checkpoint) console.log(`evaluate: tsx valid.ts --ckpt ${r.checkpoint} --datadir ${args.datadir}`);
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : `error: ${e.message}`);
  if (process.env.DEBUG) console.error(e.stack);
  process.exitCode = 1;
});
