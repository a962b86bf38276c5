/**
 * Trains HRNetV2 semantic segmentation (HRNet-Semantic-Segmentation tools/train.py) on a Cityscapes root, or on a
 * generated data set in its layout (no --datadir, configs with DATASET.SYNTHETIC), then evaluates mIoU on the val set.
 *
 *   tsx train.ts --cfg configs/seg_hrnet_w48_train_512x1024_sgd_lr1e-2_wd5e-4_bs_12_epoch484.yaml --datadir /data/cityscapes
 *                [--max_epochs N] [--amp] [--dist [N] [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [KEY VALUE ...]
 *
 * Flags are parsed before TensorFlow.js is imported, so --help and flag errors come back at once.
 */
import { ArgsError, runScript, TRAIN_ARGS_USAGE, trainCommandLine } from '@hrnet/train/cli';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <cityscapes root>] [--max_epochs N] [--amp] [--dist [N] [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [--debug] [KEY VALUE ...]
--datadir <cityscapes root>: leftImg8bit/{train,val}/<city>/*_leftImg8bit.png and gtFine/{train,val}/<city>/*_gtFine_labelIds.png
  (or the list files DATASET.TRAIN_SET / TEST_SET relative to it). Without it the config's DATASET.SYNTHETIC data set is generated.
--dist N: N data-parallel processes, each with TRAIN.BATCH_SIZE_PER_GPU images of every global batch (as N GPUs).
--bad_samples skip|fail: overrides DATASET.BAD_SAMPLES.
KEY VALUE: config keys after the flags, as tools/train.py's opts take them (TRAIN.LR 0.005 TRAIN.END_EPOCH 2).
${TRAIN_ARGS_USAGE}`;

runScript(async (argv) => {
  const args = trainCommandLine(argv, USAGE);
  if (!args) return;
  if (args.pretrained) throw new ArgsError("--pretrained: this example has no published backbone to download; the config's MODEL.PRETRAINED names the ImageNet weights file (or --ckpt_path <weights>)");
  const { runSegTraining } = await import('./src/train-command.js');
  await runSegTraining(args);
});
