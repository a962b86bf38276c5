import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { commandLine, configName, startTraining, type TrainArgs } from '@hrnet/train';
import { loadPoseConfig, type PoseConfig } from './config.js';
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

/** train.ts after its flags are parsed: the config (with the command line's overrides), then one run or `--dist` ranks. */
export async function runPoseTraining(args: TrainArgs & { cfg: string }): Promise<void> {
  const cfg = await loadPoseConfig(args.cfg, args.overrides);
  if (args.bad_samples) cfg.DATASET.BAD_SAMPLES = args.bad_samples; // the flag overrides the config key
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  const start = await startTraining(args, { endEpoch: cfg.TRAIN.END_EPOCH, perRank: `${cfg.TRAIN.IMAGES_PER_GPU} images` });
  if (!start) return;
  const { rank, options } = start;
  const result = await trainPose(cfg, {
    ...options,
    outputDir: out,
    pretrained: args.pretrained,
    // The generated dataset lives in a temp dir: evaluate on its val split before it is removed.
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root, out),
  });
  if (!rank.isMain) return;
  const last = result.fit.history.at(-1);
  console.log(
    `done in ${result.seconds.toFixed(1)} s on ${result.backend}: ${result.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; ` +
      `model: ${result.modelDir}, checkpoint: ${result.checkpoint ?? 'none (no epoch completed)'}`,
  );
  if (args.datadir) console.log(`evaluate: ${commandLine(validScript, ['--cfg', args.cfg, '--datadir', args.datadir, '--ckpt', result.modelDir!])}`);
}
