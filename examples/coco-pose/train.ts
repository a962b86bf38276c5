/**
 * Trains HigherHRNet on a COCO keypoints folder, or on a generated synthetic one (no --datadir).
 *
 *   tsx train.ts --cfg configs/w32_512_adam_lr1e-3.yaml --datadir /data/coco2017 [--max_epochs=N] [--amp] [--dist [N] [--sync_bn]]
 *                [--resume <checkpoint>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [KEY VALUE ...]
 *
 * Flags are parsed before TensorFlow.js is imported, so --help and flag errors come back at once.
 */
import { runScript, TRAIN_ARGS_USAGE, trainCommandLine } from '@hrnet/train/cli';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <coco root>] [--max_epochs N] [--amp] [--dist [N] [--sync_bn]] [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [KEY VALUE ...]
Without --datadir a synthetic COCO dataset (DATASET.SYNTHETIC) is generated in a temp dir, and evaluated after training.
--datadir <coco root>: annotations/person_keypoints_{train,val}2017.json and images/{train,val}2017/ (or {train,val}2017/).
--dist N: N data-parallel ranks, each with TRAIN.IMAGES_PER_GPU images of every global batch (as N GPUs).
KEY VALUE: config keys after the flags, as HigherHRNet's tools/train.py takes them (TRAIN.IMAGES_PER_GPU 4 TRAIN.END_EPOCH 2).
${TRAIN_ARGS_USAGE}`;

runScript(async (argv) => {
  const args = trainCommandLine(argv, USAGE);
  if (!args) return;
  const { runPoseTraining } = await import('./src/train-command.js');
  await runPoseTraining(args);
});
