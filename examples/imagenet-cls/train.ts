/**
 * Trains an HRNet classifier on an ImageNet-layout folder, or on a generated synthetic one.
 *
 *   tsx train.ts --cfg configs/demo-tiny.yaml [--datadir <root>] [--max_epochs N] [--amp] [--dist [N] [--sync_bn]]
 *                [--resume <ckpt>] [--ckpt_path <weights>] [--ckpt_save_dir <dir>] [--<config key> <value> ...]
 *   tsx train.ts --config configs/hrnet/hrnet_w32_ascend.yaml --data_dir /path/to/imagenet [--distribute False]   (MindCV)
 *
 * Flags are parsed before TensorFlow.js is imported, so --help and flag errors come back at once.
 */
import { runScript, TRAIN_ARGS_USAGE, trainCommandLine } from '@hrnet/train/cli';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <root>] [--max_epochs N] [--amp] [--dist [N]] [--resume ckpt] [--<key> <value> ...]
The config is ours (configs/*.yaml) or MindCV's own yaml (configs/hrnet/*.yaml; its keys also as --key value, e.g. --batch_size 64).
${TRAIN_ARGS_USAGE}`;

runScript(async (argv) => {
  const args = trainCommandLine(argv, USAGE);
  if (!args) return;
  const { runClassifierTraining } = await import('./src/train-command.js');
  await runClassifierTraining(args);
});
