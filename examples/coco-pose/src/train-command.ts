import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { checkResume, commandLine, startDataParallel, type TrainArgs } from '@hrnet/train';
import { configName, loadPoseConfig, type PoseConfig } from './config.js';
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
  if (args.resume) {
    const finished = await checkResume(args.resume, args.max_epochs ?? cfg.TRAIN.END_EPOCH);
    if (finished) return console.log(finished);
  }
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  const rank = await startDataParallel(args, `${cfg.TRAIN.IMAGES_PER_GPU} images`);
  if (!rank) return;
  const result = await trainPose(cfg, {
    dist: rank.dist,
    threads: rank.threads,
    datadir: args.datadir,
    maxEpochs: args.max_epochs,
    outputDir: out,
    resume: args.resume,
    force: args.force,
    initWeights: args.ckpt_path,
    pretrained: args.pretrained,
    amp: args.amp,
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
