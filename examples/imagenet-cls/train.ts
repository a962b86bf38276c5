/**
 * Trains an HRNet classifier on an ImageNet-layout folder, or on a generated synthetic one.
 *
 *   tsx train.ts --cfg configs/demo-tiny.yaml [--datadir <root>] [--max_epochs N]
 */
import { ArgsError, ConfigError, loadConfig, parseTrainArgs, TRAIN_ARGS_USAGE } from '@hrnet/train';
import { classificationConfigSchema } from './src/config.js';
import { trainClassifier } from './src/train-classifier.js';

const USAGE = `usage: tsx train.ts --cfg <config.yaml> [--datadir <root>] [--max_epochs N]\n${TRAIN_ARGS_USAGE}`;

async function main(): Promise<void> {
  const args = parseTrainArgs();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  if (!args.cfg) throw new ArgsError('--cfg <config.yaml> is required');
  // Parsed so scripts written for mindcv/timm get a clear answer rather than "unknown option".
  if (args.amp) throw new ArgsError('--amp: mixed precision is not available on the TF.js cpu/wasm backends');
  if (args.dist) throw new ArgsError('--dist: distributed training is not implemented yet');
  if (args.resume) throw new ArgsError('--resume: checkpoint resume is not implemented yet');
  if (args.ckpt_path) throw new ArgsError('--ckpt_path: initialising from a checkpoint is not implemented yet');

  const cfg = await loadConfig(args.cfg, classificationConfigSchema);
  const result = await trainClassifier(cfg, { datadir: args.datadir, maxEpochs: args.max_epochs });
  console.log(
    `done in ${result.seconds.toFixed(1)} s on ${result.backend}: val top-1 ${(result.top1 * 100).toFixed(1)}% ` +
      `(${result.numClasses} classes, chance ${(100 / result.numClasses).toFixed(1)}%)`,
  );
}

main().catch((err: unknown) => {
  const e = err as Error;
  console.error(e instanceof ArgsError ? `error: ${e.message}\n${USAGE}` : e instanceof ConfigError ? `config error: ${e.message}` : (e.stack ?? String(e)));
  process.exitCode = 1;
});
