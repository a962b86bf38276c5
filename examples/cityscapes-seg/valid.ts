/**
 * mIoU of a trained HRNetV2 on the val set (HRNet-Semantic-Segmentation tools/test.py, `testval`): per-class IoU,
 * mean IoU, pixel and mean accuracy from one confusion matrix over the whole images.
 *
 *   tsx valid.ts --ckpt output/cityscapes/<cfg>/checkpoint-epoch0484.safetensors --datadir /data/cityscapes [--flip] [--scales 0.5,0.75,1,1.25,1.5,1.75]
 *   tsx valid.ts --ckpt hrnet_cs_8090_torch11.pth --cfg configs/seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml --datadir /data/cityscapes
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgsError, runScript } from '@hrnet/train/cli';
import { parseInferenceArgs } from './src/inference-args.js';

const USAGE = `usage: tsx valid.ts --ckpt <checkpoint.safetensors | weights.pth> [--cfg <config.yaml>] [--datadir <cityscapes root>]
                     [--flip[=true|false]] [--scales 0.5,1,2] [--limit N] [--debug]
  --ckpt      a training checkpoint of train.ts (stores its config), or official PyTorch weights (then --cfg is required)
  --cfg       the config (default: the one stored with the checkpoint); its TEST block sets the defaults below
  --datadir   Cityscapes root (DATASET.TEST_SET under it, or leftImg8bit/val + gtFine/val); default: the config's
              generated data set (DATASET.SYNTHETIC, regenerated from its seed in a temp dir)
  --flip      flip test (default TEST.FLIP_TEST)
  --scales    test scales, comma-separated (default TEST.SCALE_LIST)
  --limit     evaluate only the first N images`;

runScript(async (argv) => {
  const a = parseInferenceArgs(argv, { datadir: { type: 'string' }, limit: { type: 'string' } });
  if (a.help) {
    console.log(USAGE);
    return;
  }
  const limitArg = a.values.limit as string | undefined;
  if (limitArg != null && !/^[1-9]\d*$/.test(limitArg)) throw new ArgsError(`--limit expects a positive integer, got '${limitArg}'`);
  if (!a.ckpt) throw new ArgsError('--ckpt is required');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { checkpointConfig, loadSegModel } = await import('./src/checkpoint.js');
  const { loadSegConfig } = await import('./src/config.js');
  const { generateSyntheticData, splitSamples } = await import('./src/data.js');
  const { evaluateSegmentation, formatMetrics } = await import('./src/evaluate.js');
  const cfg = await checkpointConfig(a.ckpt, a.cfg ? await loadSegConfig(a.cfg) : undefined);
  const backend = await initBackend(cfg.BACKEND, { log: () => {} });
  const { model, kind } = await loadSegModel(a.ckpt, cfg);
  let root = a.values.datadir as string | undefined;
  let temp: string | undefined;
  try {
    if (!root && !cfg.DATASET.SYNTHETIC) throw new ArgsError('--datadir <cityscapes root> is required (the config has no DATASET.SYNTHETIC data set to regenerate)');
    console.log(`[model] ${a.ckpt} (${kind}), ${model.countParams().toLocaleString('en-US')} parameters, backend ${backend}`);
    if (!root) {
      root = temp = await mkdtemp(join(tmpdir(), 'hrnet-cityscapes-seg-val-'));
      await generateSyntheticData(cfg, root);
      console.log(`[data] regenerated the config's synthetic data set (seed ${cfg.DATASET.SYNTHETIC!.SEED})`);
    }
    const val = await splitSamples(cfg, root, cfg.DATASET.TEST_SET, limitArg ? Number(limitArg) : cfg.TEST.NUM_SAMPLES);
    const isTty = process.stderr.isTTY;
    const ev = await evaluateSegmentation(model, cfg, val.samples, {
      flip: a.flip,
      scales: a.scales,
      onImage: (done, total) => {
        if (isTty && (done % 10 === 0 || done === total)) process.stderr.write(`\r[valid] ${done}/${total} images`);
      },
    });
    if (isTty) process.stderr.write('\n');
    const leftOut = [...val.leftOut, ...ev.leftOut];
    if (leftOut.length) console.log(`[valid] left out ${leftOut.length} unusable image(s) (DATASET.BAD_SAMPLES skip): ${leftOut.slice(0, 3).join(', ')}`);
    console.log(`[valid] ${ev.images} images of ${val.source} in ${ev.seconds.toFixed(1)} s (flip ${ev.flip ? 'on' : 'off'}, scales ${ev.scales.join(',')}):`);
    console.log(formatMetrics(ev));
  } finally {
    model.dispose();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
});
