import * as tf from '@tensorflow/tfjs';
import { loadStateDict, readWeights, type StateDict } from '@hrnet/core';
import type { Preprocessing, PretrainedWeights } from '../model-family.js';

/**
 * timm's published HRNet ImageNet weights (`timm/models/hrnet.py` default_cfgs, `hf_hub_id='timm/'`): preset →
 * tags, the default first. Each is `model.safetensors` in the hub repository `timm/<name>.<tag>`.
 */
export const TIMM_PRETRAINED_TAGS: Readonly<Record<string, readonly string[]>> = {
  hrnet_w18_small: ['ms_in1k'],
  hrnet_w18_small_v2: ['ms_in1k'],
  hrnet_w18: ['ms_aug_in1k', 'ms_in1k'],
  hrnet_w30: ['ms_in1k'],
  hrnet_w32: ['ms_in1k'],
  hrnet_w40: ['ms_in1k'],
  hrnet_w44: ['ms_in1k'],
  hrnet_w48: ['ms_in1k'],
  hrnet_w64: ['ms_in1k'],
};

/** Tags whose timm pretrained cfg differs from the classifiers' common preprocessing. */
const TAG_PREPROCESSING: Readonly<Record<string, Partial<Preprocessing>>> = {
  'hrnet_w18.ms_aug_in1k': { cropPct: 0.95 },
};

/** timm's `load_pretrained`: a classifier of another size (or none) keeps its own classifier; everything else must match. */
async function loadTimmClassifier(model: tf.LayersModel, file: string): Promise<void> {
  const weights = await readWeights(file);
  const units = model.layers.find((l) => l.name === 'classifier')?.getConfig().units as number | undefined;
  const published = weights.tensors['classifier.weight']?.shape[0];
  const tensors: StateDict = Object.create(null);
  for (const [k, t] of Object.entries(weights.tensors)) if (units === published || !k.startsWith('classifier.')) tensors[k] = t;
  const report = loadStateDict(model, tensors, { naming: 'timm', strict: false, source: weights.source, format: weights.format });
  const missing = report.missing.filter((k) => !(units !== published && k.startsWith('classifier.')));
  if (missing.length || report.unexpected.length) {
    throw new Error(`${weights.source}: does not fit the model (${missing.length} missing, e.g. ${missing.slice(0, 3).join(', ') || '-'}; ${report.unexpected.length} unexpected, e.g. ${report.unexpected.slice(0, 3).join(', ') || '-'})`);
  }
}

/** The published weights of a classifier preset (`tag` true: timm's default tag). */
export function classifierPretrained(name: string, tag: string | true): PretrainedWeights {
  const tags = TIMM_PRETRAINED_TAGS[name];
  if (!tags) throw new Error(`${name}: timm publishes no pretrained weights for it; presets with weights: ${Object.keys(TIMM_PRETRAINED_TAGS).join(', ')}`);
  const chosen = tag === true ? tags[0] : tag;
  if (!tags.includes(chosen)) throw new Error(`${name}: no pretrained tag '${chosen}'; timm publishes ${tags.map((t) => `'${t}'`).join(', ')}`);
  const id = `${name}.${chosen}`;
  return { id, repo: `timm/${id}`, file: 'model.safetensors', load: loadTimmClassifier, preprocessing: TAG_PREPROCESSING[id] };
}
