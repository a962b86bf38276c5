import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { activeBackend, initBackend } from '@hrnet/core';
import { createRng, evalTransform } from '@hrnet/data-imagenet';
import { buildModel, loadWeights } from './build.js';
import type { ClassificationConfig } from './config.js';

/** One image's top classes, best first. */
export interface ImagePrediction {
  image: string;
  top: { index: number; name: string; probability: number }[];
}

/**
 * Class names by index from a "wnid name" (or plain "name") line per class, as the synthetic dataset's
 * classes.txt and data/imagenet-1k-classes.txt hold them.
 */
export async function readClassNames(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`--class_names ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (/^n\d{8}\s/.test(l) ? l.replace(/^n\d{8}\s+/, '') : l).trim());
}

/** Classifies each image with the eval transform of the config (resize, center crop, normalize): top-k softmax. */
export async function predictClasses(
  cfg: ClassificationConfig,
  { ckptPath, images, classNames, topk = 5, log = (l: string) => console.log(l) }: { ckptPath: string; images: string[]; classNames: string[]; topk?: number; log?: (l: string) => void },
): Promise<ImagePrediction[]> {
  await initBackend(cfg.backend, { log });
  const numClasses = cfg.model.num_classes ?? classNames.length;
  if (classNames.length !== numClasses) throw new Error(`the class names list has ${classNames.length} names, the model ${numClasses} classes`);
  const model = buildModel(cfg, numClasses);
  try {
    const weights = await loadWeights(model, ckptPath);
    log(`[model] ${cfg.model.name ?? 'HRNet from model.cfg'}: ${numClasses} classes, ${weights} weights from ${ckptPath}, backend ${activeBackend()!.kind}`);
    const transform = evalTransform({ size: cfg.data.image_size, cropPct: cfg.data.crop_pct, interpolation: cfg.data.eval_interpolation });
    const out: ImagePrediction[] = [];
    for (const image of images) {
      const pixels = await transform.apply(image, createRng(0));
      const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(pixels, [1, ...transform.outputShape])) as tf.Tensor2D));
      const p = await probs.data();
      probs.dispose();
      const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, Math.min(topk, numClasses));
      out.push({ image, top: order.map((index) => ({ index, name: classNames[index], probability: p[index] })) });
    }
    return out;
  } finally {
    model.dispose();
  }
}
