/**
 * Classifies images with a trained classifier (ours or timm weights): the top-5 classes with their names.
 *
 *   tsx predict.ts --cfg <config.yaml> --ckpt_path <checkpoint | timm weights> --image photo.jpg [--image ...] [--topk 5] [--class_names <file>]
 */
import { join } from 'node:path';
import { ArgsError, parseFlagsWithOverrides, runScript } from '@hrnet/train/cli';
import { CONFIG_FLAGS, configFlag } from './src/cli-flags.js';

const IMAGENET_CLASSES = join(import.meta.dirname, 'data', 'imagenet-1k-classes.txt');

const USAGE = `usage: tsx predict.ts --cfg <config.yaml> --ckpt_path <checkpoint or timm weights> --image <file> [--image <file> ...] [--topk N] [--class_names <file>]
  --cfg          the model's config (ours or MindCV's yaml): model, image size, crop_pct, interpolation
  --ckpt_path    an @hrnet/train checkpoint (.safetensors) or timm/PyTorch weights (.pth, .safetensors)
  --image        an image file (JPEG, PNG, WebP, ...); repeat for more
  --topk         classes printed per image (default 5)
  --class_names  class names by index, one "wnid name" or "name" per line (default: data/imagenet-1k-classes.txt,
                 the ImageNet-1k names, for a 1000-class model; a generated dataset's classes.txt for the demo's)
  --<key> <value> set a config key, as train.ts takes them
  --debug        print the stack of an error (also DEBUG=1)`;

runScript(async (argv) => {
  const { values, overrides } = parseFlagsWithOverrides(argv, {
    ...CONFIG_FLAGS,
    ckpt_path: { type: 'string' },
    image: { type: 'string', multiple: true },
    topk: { type: 'string' },
    class_names: { type: 'string' },
  });
  if (values.help) return console.log(USAGE);
  const cfgFile = configFlag(values);
  const ckptPath = values.ckpt_path as string | undefined;
  const images = (values.image as string[] | undefined) ?? [];
  if (!ckptPath) throw new ArgsError('--ckpt_path is required');
  if (images.length === 0) throw new ArgsError('--image is required');
  const topkArg = (values.topk as string | undefined) ?? '5';
  if (!/^[1-9]\d*$/.test(topkArg)) throw new ArgsError(`--topk expects a positive integer, got '${topkArg}'`);

  const { loadClassificationConfig } = await import('./src/config.js');
  const { predictClasses, readClassNames } = await import('./src/predict-classifier.js');
  const { cfg } = await loadClassificationConfig(cfgFile, { overrides });
  const namesFile = (values.class_names as string | undefined) ?? (cfg.model.num_classes === 1000 ? IMAGENET_CLASSES : undefined);
  if (!namesFile) throw new ArgsError(`--class_names is required: ${cfgFile} has no model.num_classes of 1000 (ImageNet's names are the default only then)`);
  const classNames = await readClassNames(namesFile);
  const results = await predictClasses(cfg, { ckptPath, images, classNames, topk: Number(topkArg) });
  for (const r of results) {
    console.log(`${r.image}:`);
    for (const t of r.top) console.log(`  ${(t.probability * 100).toFixed(1).padStart(5)}%  ${t.name} (${t.index})`);
  }
});
