import { join } from 'node:path';
import { commandLine, configName, startTraining, type TrainArgs } from '@hrnet/train';
import { loadSegConfig, type SegConfig } from './config.js';
import { formatMetrics, type SegEvaluation } from './evaluate.js';
import { trainSegmentation } from './train-seg.js';

const validScript = new URL('../valid.ts', import.meta.url);

/** The official output folder: OUTPUT_DIR/<DATASET.DATASET>/<config name>. */
function outputDir(cfg: SegConfig, cfgFile: string): string {
  return join(cfg.OUTPUT_DIR || 'output', cfg.DATASET.DATASET, configName(cfgFile));
}

function report(ev: SegEvaluation | undefined, split: string): void {
  if (!ev) return;
  if (ev.leftOut.length) console.log(`[valid] left out ${ev.leftOut.length} unusable val image(s): ${ev.leftOut.slice(0, 3).join(', ')}`);
  console.log(`[valid] ${ev.images} ${split} images in ${ev.seconds.toFixed(1)} s (flip ${ev.flip ? 'on' : 'off'}, scales ${ev.scales.join(',')}):`);
  console.log(formatMetrics(ev));
}

/** train.ts after its flags are parsed: the config (with the command line's overrides), then one run or `--dist` ranks; rank 0 evaluates. */
export async function runSegTraining(args: TrainArgs & { cfg: string }): Promise<void> {
  const cfg = await loadSegConfig(args.cfg, args.overrides);
  if (args.bad_samples) cfg.DATASET.BAD_SAMPLES = args.bad_samples; // the flag overrides the config key
  if (!args.datadir && !cfg.DATASET.SYNTHETIC) throw new Error(`--datadir <cityscapes root> is required: ${args.cfg} has no DATASET.SYNTHETIC section to generate data from`);
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  const start = await startTraining(args, { endEpoch: cfg.TRAIN.END_EPOCH, perRank: `${cfg.TRAIN.BATCH_SIZE_PER_GPU} images` });
  if (!start) return;
  const { rank, options } = start;
  const r = await trainSegmentation(cfg, { ...options, outputDir: out });
  if (!rank.isMain) return;
  const last = r.fit.history.at(-1);
  if (r.badSamples.length) console.log(`[data] ${r.badSamples.length} training sample(s) left out in all (DATASET.BAD_SAMPLES skip)`);
  console.log(`done in ${r.seconds.toFixed(1)} s on ${r.backend}: ${r.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; checkpoint: ${r.checkpoint ?? 'none (no epoch completed)'}`);
  report(r.evaluation, cfg.DATASET.TEST_SET);
  if (args.datadir && r.checkpoint) console.log(`evaluate: ${commandLine(validScript, ['--ckpt', r.checkpoint, '--datadir', args.datadir])}`);
}
