import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@hrnet/core';
import { checkResume, commandLine, distWorldSize, launchDataParallel, type TrainArgs } from '@hrnet/train';
import { loadPoseModel } from './checkpoint.js';
import { configName, loadPoseConfig, type PoseConfig } from './config.js';
import { generateSyntheticDataset } from './data.js';
import type { DistWorkerData, DistWorkerResult } from './dist-worker.js';
import { evaluatePose, formatApTable, resultsFileIn } from './evaluate.js';
import { trainPose } from './train-pose.js';

const validScript = new URL('../valid.ts', import.meta.url);

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
      opts: { datadir: root, maxEpochs: args.max_epochs, outputDir: out, resume: args.resume, initWeights: args.ckpt_path, pretrained: args.pretrained, amp: args.amp, threads, syncBn: args.sync_bn },
    };
    const results = await launchDataParallel<DistWorkerResult>({ worldSize, module: new URL('./dist-worker.ts', import.meta.url), data });
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
    } else if (args.datadir && r.modelDir) {
      console.log(`evaluate: ${commandLine(validScript, ['--cfg', args.cfg!, '--datadir', args.datadir, '--ckpt', r.modelDir])}`);
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

/** train.ts after its flags are parsed: the config (with the command line's overrides), then one run or `--dist` ranks. */
export async function runPoseTraining(args: TrainArgs & { cfg: string }): Promise<void> {
  const cfg = await loadPoseConfig(args.cfg, args.overrides);
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  if (args.resume) {
    const finished = await checkResume(args.resume, args.max_epochs ?? cfg.TRAIN.END_EPOCH);
    if (finished) return console.log(finished);
  }
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  const dist = args.dist ?? (args.distribute ? 'all' : undefined);
  const world = distWorldSize(dist);
  if (dist === 'all') console.log(`[dist] one rank per GPU device: no GPU backend is in use, so ${world} process`);
  if (world > 1) return trainDistributed(cfg, args, out, world);

  const result = await trainPose(cfg, {
    datadir: args.datadir,
    maxEpochs: args.max_epochs,
    outputDir: out,
    resume: args.resume,
    initWeights: args.ckpt_path,
    pretrained: args.pretrained,
    amp: args.amp,
    // The generated dataset lives in a temp dir: evaluate on its val split before it is removed.
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root, out),
  });
  const last = result.fit.history.at(-1);
  console.log(
    `done in ${result.seconds.toFixed(1)} s on ${result.backend}: ${result.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; ` +
      `model: ${result.modelDir}, checkpoint: ${result.checkpoint ?? 'none (no epoch completed)'}`,
  );
  if (args.datadir) console.log(`evaluate: ${commandLine(validScript, ['--cfg', args.cfg, '--datadir', args.datadir, '--ckpt', result.modelDir!])}`);
}
