import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { commandLine, configName, startTraining, type TrainArgs } from '@hrnet/train';
import { loadTopDownConfig, type TopDownExampleConfig } from './config.js';
import { evaluateTopDown, formatApTable } from './evaluate.js';
import { trainTopDown } from './train-topdown.js';

const validScript = new URL('../valid.ts', import.meta.url);

/** MMPose's work_dirs/<config name>. */
const outputDir = (cfgFile: string) => join('work_dirs', configName(cfgFile));

async function evaluateGenerated(model: tf.LayersModel, cfg: TopDownExampleConfig, root: string): Promise<void> {
  const ev = await evaluateTopDown(model, cfg, { root, gtBoxes: true });
  console.log(`[valid] ${ev.images} generated val images, ${ev.boxes} ground-truth boxes in ${ev.seconds.toFixed(1)} s (flip test ${cfg.model.test_cfg.flip_test ? 'on' : 'off'}):`);
  console.log(formatApTable(ev.evaluation));
}

/** train.ts after its flags are parsed: the config (with the command line's overrides), then one run or `--dist` ranks. */
export async function runTopDownTraining(args: TrainArgs & { cfg: string }): Promise<void> {
  const cfg = await loadTopDownConfig(args.cfg, args.overrides);
  const out = args.ckpt_save_dir ?? outputDir(args.cfg);
  const start = await startTraining(args, { endEpoch: cfg.total_epochs, perRank: `${cfg.data.samples_per_gpu} boxes` });
  if (!start) return;
  const { rank, options } = start;
  const r = await trainTopDown(cfg, {
    ...options,
    outputDir: out,
    // The generated dataset lives in a temp dir: evaluate on its val split before it is removed.
    afterTraining: args.datadir ? undefined : (model, root) => evaluateGenerated(model, cfg, root),
  });
  if (!rank.isMain) return;
  const last = r.fit.history.at(-1);
  console.log(`done in ${r.seconds.toFixed(1)} s on ${r.backend}: ${r.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(6) : 'n/a'}; checkpoint: ${r.checkpoint ?? 'none (no epoch completed)'}`);
  if (args.datadir && r.checkpoint) console.log(`evaluate: ${commandLine(validScript, ['--ckpt', r.checkpoint, '--datadir', args.datadir])}`);
}
