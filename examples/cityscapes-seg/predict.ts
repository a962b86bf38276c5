/**
 * Semantic segmentation of images with a trained HRNetV2: writes the colour-coded mask (Cityscapes palette) blended
 * over each image, and the prediction as Cityscapes label ids.
 *
 *   tsx predict.ts --image street.png --ckpt output/cityscapes/<cfg>/checkpoint-epoch0484.safetensors [--out predictions] [--flip] [--scales 1]
 */
import { basename, extname, join } from 'node:path';
import { ArgsError, runScript } from '@hrnet/train/cli';
import { parseInferenceArgs } from './src/inference-args.js';

const USAGE = `usage: tsx predict.ts --image <file> [--image <file> ...] --ckpt <checkpoint.safetensors | weights.pth> [--out <dir>]
                       [--cfg <config.yaml>] [--flip[=true|false]] [--scales 0.5,1,2] [--alpha A] [--debug]
  writes <out>/<name>.overlay.png (the colour-coded classes blended over the image) and <out>/<name>_labelIds.png
  (Cityscapes label ids); default --out: predictions. --alpha: the mask's weight in the blend (default 0.5)`;

runScript(async (argv) => {
  const a = parseInferenceArgs(argv, { image: { type: 'string', multiple: true }, out: { type: 'string' }, alpha: { type: 'string' } });
  if (a.help) {
    console.log(USAGE);
    return;
  }
  const images = (a.values.image as string[] | undefined) ?? [];
  const alphaArg = a.values.alpha as string | undefined;
  const alpha = alphaArg != null ? Number(alphaArg) : 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new ArgsError(`--alpha expects a number in [0, 1], got '${alphaArg}'`);
  if (images.length === 0) throw new ArgsError('--image is required');
  if (!a.ckpt) throw new ArgsError('--ckpt is required');
  // TensorFlow.js and the model code load after the flags are checked.
  const { initBackend } = await import('@hrnet/core');
  const { CITYSCAPES_CLASSES, readRgb } = await import('@hrnet/data-cityscapes');
  const { checkpointConfig, loadSegModel } = await import('./src/checkpoint.js');
  const { inferenceOptions, loadSegConfig } = await import('./src/config.js');
  const { writePrediction } = await import('./src/overlay.js');
  const { segmentRgb } = await import('./src/segment-rgb.js');
  const out = (a.values.out as string | undefined) ?? 'predictions';
  const cfg = await checkpointConfig(a.ckpt, a.cfg ? await loadSegConfig(a.cfg) : undefined);
  await initBackend(cfg.BACKEND, { log: () => {} });
  const { model } = await loadSegModel(a.ckpt, cfg);
  const opts = inferenceOptions(cfg, { flip: a.flip, scales: a.scales });
  try {
    for (const image of images) {
      const t0 = performance.now();
      const rgb = await readRgb(image);
      const trainIds = await segmentRgb(model, rgb, opts);
      const ms = performance.now() - t0;
      const stem = basename(image, extname(image)).replace(/_leftImg8bit$/, '');
      const files = { overlay: join(out, `${stem}.overlay.png`), labelIds: join(out, `${stem}_labelIds.png`) };
      await writePrediction(rgb, trainIds, files, alpha);
      const counts = new Map<number, number>();
      for (const t of trainIds) counts.set(t, (counts.get(t) ?? 0) + 1);
      const top = [...counts].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([t, n]) => `${CITYSCAPES_CLASSES[t]} ${((100 * n) / trainIds.length).toFixed(0)}%`);
      console.log(`${image}: ${rgb.width}x${rgb.height} in ${ms.toFixed(0)} ms (${top.join(', ')}) -> ${files.overlay}, ${files.labelIds}`);
    }
  } finally {
    model.dispose();
  }
});
