/**
 * The classification demo: generates a small synthetic ImageNet-layout dataset, trains the tiny HRNet of
 * configs/demo-tiny.yaml on it (about a minute on CPU), and leaves the dataset and the checkpoints behind with
 * the commands that validate and predict with them.
 *
 *   npm run demo:cls        (from the repo root; or: npx tsx demo.ts [--cfg <yaml>] [--out <dir>] [--max_epochs N])
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ArgsError, commandLine, displayPath as rel, parseFlags, runScript } from '@hrnet/train/cli';

const here = import.meta.dirname;

const USAGE = `usage: tsx demo.ts [--cfg <config.yaml>] [--out <dir>] [--max_epochs N]
  --cfg         the config to train, with a data.synthetic section (default configs/demo-tiny.yaml)
  --out         where the dataset (data/) and the checkpoints (checkpoints/) go (default output/demo next to demo.ts)
  --max_epochs  override the config's epochs`;

runScript(async (argv) => {
  const flags = parseFlags(argv, { cfg: { type: 'string' }, out: { type: 'string' }, max_epochs: { type: 'string' } });
  if (flags.help) return console.log(USAGE);
  const cfgFile = (flags.cfg as string | undefined) ?? join(here, 'configs', 'demo-tiny.yaml');
  const out = resolve((flags.out as string | undefined) ?? join(here, 'output', 'demo'));
  const maxEpochs = flags.max_epochs as string | undefined;
  if (maxEpochs != null && !/^[1-9]\d*$/.test(maxEpochs)) throw new ArgsError(`--max_epochs expects a positive integer, got '${maxEpochs}'`);
  // TensorFlow.js and the model code load after the flags are checked.
  const { generateImageFolderDataset } = await import('@hrnet/data-imagenet');
  const { ConfigError } = await import('@hrnet/train');
  const { loadClassificationConfig } = await import('./src/config.js');
  const { trainClassifier } = await import('./src/train-classifier.js');
  const { cfg } = await loadClassificationConfig(cfgFile);
  const syn = cfg.data.synthetic;
  if (!syn) throw new ConfigError(`${cfgFile}: the demo needs a data.synthetic section`);
  const data = join(out, 'data');
  const ckptDir = join(out, 'checkpoints');
  // Start clean: only the demo's own folders are removed.
  for (const d of [data, ckptDir]) await rm(d, { recursive: true, force: true });
  const ds = await generateImageFolderDataset(data, { classes: syn.classes, trainPerClass: syn.train_per_class, valPerClass: syn.val_per_class, size: syn.size, seed: cfg.seed });
  const r = await trainClassifier(cfg, { datadir: data, ckptSaveDir: ckptDir, maxEpochs: maxEpochs ? Number(maxEpochs) : undefined });
  const last = (await readdir(ckptDir)).filter((f) => /-epoch\d+\.safetensors$/.test(f)).sort().at(-1);
  if (!last) throw new Error(`no epoch checkpoint was written to ${ckptDir}`);
  const ckpt = rel(join(ckptDir, last));
  const valFolder = join(data, 'val', ds.classes[0]);
  const image = join(valFolder, (await readdir(valFolder)).sort()[0]);
  console.log(`\n[demo] done in ${r.seconds.toFixed(0)} s on ${r.backend}: val top-1 ${(r.top1 * 100).toFixed(1)}% (${r.numClasses} classes, chance ${(100 / r.numClasses).toFixed(1)}%)`);
  console.log(`  dataset     ${rel(data)}  (train/ and val/ class folders, classes.txt)`);
  console.log(`  checkpoint  ${ckpt}  (weights + optimizer state, for validate.ts, predict.ts and --resume)`);
  console.log(`try: ${commandLine(join(here, 'validate.ts'), ['--cfg', rel(cfgFile), '--datadir', rel(data), '--ckpt_path', ckpt])}`);
  console.log(`     ${commandLine(join(here, 'predict.ts'), ['--cfg', rel(cfgFile), '--ckpt_path', ckpt, '--class_names', rel(join(data, 'classes.txt')), '--image', rel(image)])}`);
});
