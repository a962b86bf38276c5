/**
 * Trains HRNetV2 semantic segmentation (HRNet-Semantic-Segmentation tools/train.py) on a Cityscapes root, or on a
 * generated data set in its layout (no --datadir, configs with DATASET.SYNTHETIC), then evaluates mIoU on the val set.
 *
 *   tsx train.ts --cfg configs/seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml --datadir /data/cityscapes
 *                [--max_epochs N] [--amp] [--dist N [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>]
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkTrainArgs, launchDataParallel, parseTrainArgs, TRAIN_ARGS_USAGE, type TrainArgs } from '@hrnet/train';
import { runScript } from './src/cli.js';
import { configName, loadSegConfig, type SegConfig } from './src/config.js';
import { generateSyntheticData } from './src/data.js';
import type { DistWorkerData, DistWorkerResult } from './src/dist-worker.js';
import { formatMetrics, type SegEvaluation } from './src/evaluate.js';
import { trainSegmentation } from './src/train-seg.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <cityscapes root>] [--max_epochs N] [--amp] [--dist N [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [--debug]
--datadir <cityscapes root>: leftImg8bit/{train,val}/<city>/*_leftImg8bit.png and gtFine/{train,val}/<city>/*_gtFine_labelIds.png
  (or the list files DATASET.TRAIN_SET / TEST_SET relative to it). Without it the config's DATASET.SYNTHETIC data set is generated.
--dist N: N data-parallel worker threads, each with TRAIN.BATCH_SIZE_PER_GPU images of every global batch (as N GPUs).
${TRAIN_ARGS_USAGE}
  --debug               print the stack trace of an error`;

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

/** `--dist N`: the data set (generated here when needed), N ranks in worker threads; rank 0 evaluates. */
async function trainDistributed(cfg: SegConfig, args: TrainArgs, out: string, worldSize: number): Promise<void> {
  let root = args.datadir;
  let temp: string | undefined;
  try {
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-cityscapes-seg-'));
      const g = await generateSyntheticData(cfg, root);
      console.log(`[data] generated ${g.train} train / ${g.val} val images: ${root}`);
    }
    const threads = Math.max(1, Math.floor(availableParallelism() / worldSize));
    const data: DistWorkerData = {
      cfg,
      opts: { datadir: root, maxEpochs: args.max_epochs, outputDir: out, resume: args.resume, initWeights: args.ckpt_path, amp: args.amp, threads, syncBn: args.sync_bn },
    };
    const results = await launchDataParallel<DistWorkerResult>({ worldSize, module: new URL('./src/dist-worker.ts', import.meta.url), data });
    const r = results[0];
    console.log(`done in ${r.seconds.toFixed(1)} s on ${r.backend} x ${worldSize} ranks: ${r.steps} updates, final loss ${r.finalLoss?.toFixed(5) ?? 'n/a'}; checkpoint: ${r.checkpoint ?? 'none'}`);
    report(r.evaluation, cfg.DATASET.TEST_SET);
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

runScript(async (argv) => {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  checkTrainArgs(args);
  const cfg = await loadSegConfig(args.cfg);
  if (!args.datadir && !cfg.DATASET.SYNTHETIC) throw new Error(`--datadir <cityscapes root> is required: ${args.cfg} has no DATASET.SYNTHETIC section to generate data from`);
  const out = args.ckpt_save_dir ?? outputDir(cfg, args.cfg);
  if (args.amp) console.log('[train] --amp: dynamic loss scaling (TF.js CPU backends compute in float32; there is no float16 path)');
  if (args.dist != null && args.dist > 1) return trainDistributed(cfg, args, out, args.dist);
  const r = await trainSegmentation(cfg, { datadir: args.datadir, maxEpochs: args.max_epochs, outputDir: out, resume: args.resume, initWeights: args.ckpt_path, amp: args.amp });
  const last = r.fit.history.at(-1);
  if (r.badSamples.length) console.log(`[data] ${r.badSamples.length} training sample(s) left out in all (DATASET.BAD_SAMPLES skip)`);
  console.log(`done in ${r.seconds.toFixed(1)} s on ${r.backend}: ${r.fit.steps} updates, final loss ${last ? last.avgLoss.toFixed(5) : 'n/a'}; checkpoint: ${r.checkpoint ?? 'none (no epoch completed)'}`);
  report(r.evaluation, cfg.DATASET.TEST_SET);
});
