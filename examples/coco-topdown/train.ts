/**
 * Trains a top-down pose model (HF-HRNet, HRNet-W32) on the ground-truth person boxes of a COCO keypoints folder, or
 * of a generated synthetic one (no --datadir; then evaluated on its val split).
 *
 *   tsx train.ts --cfg configs/hf_hrnet_18_coco_256x192.yaml --datadir /data/coco [--max_epochs N] [--amp] [--dist [N] [--sync_bn]]
 *                [--resume <checkpoint>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [KEY VALUE ...]
 *
 * Flags are parsed before TensorFlow.js is imported, so --help and flag errors come back at once.
 */
import { ArgsError, runScript, TRAIN_ARGS_USAGE, trainCommandLine } from '@hrnet/train/cli';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <coco root>] [--max_epochs N] [--amp] [--dist [N] [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [KEY VALUE ...]
Trains on ground-truth person boxes. Without --datadir the config's synthetic COCO set is generated in a temp dir and
evaluated (ground-truth boxes) after training.
--datadir <coco root>: annotations/person_keypoints_{train,val}2017.json, images/{train,val}2017/ (or {train,val}2017/).
--dist N: N data-parallel processes, each with data.samples_per_gpu boxes of every global batch (as N GPUs).
KEY VALUE: config keys after the flags (optimizer.lr 0.001 total_epochs 2).
${TRAIN_ARGS_USAGE}`;

runScript(async (argv) => {
  const args = trainCommandLine(argv, USAGE);
  if (!args) return;
  if (args.pretrained) throw new ArgsError("--pretrained: this example has no published backbone to download; start from weights with --ckpt_path <checkpoint | mmpose weights.pth>");
  const { runTopDownTraining } = await import('./src/train-command.js');
  await runTopDownTraining(args);
});
