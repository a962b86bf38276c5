import type * as tf from '@tensorflow/tfjs';
import { fetchCached } from '@hrnet/core';
import type { ModelFamily, PretrainedWeights } from './model-family.js';

/** Environment variable overriding the hub the weights come from (a mirror; tests point it at 127.0.0.1). */
export const HRNET_HUB_ENV = 'HRNET_HUB_URL';
const DEFAULT_HUB = 'https://huggingface.co';

export interface PretrainedOptions {
  /** `true`: the preset's default published weights (timm's first tag); a string: that tag (`'ms_aug_in1k'`). */
  pretrained?: boolean | string;
  /** Download cache (default `$HRNET_CACHE_DIR`, else `~/.cache/hrnet`). */
  cacheDir?: string;
  /** Hub base URL (default `$HRNET_HUB_URL`, else https://huggingface.co). */
  hubUrl?: string;
  /** Download progress lines. */
  log?: (line: string) => void;
}

/** The published weights of `preset` (checked before any model is built); an error naming the manual download where the family's are on no hub. */
export function publishedWeights(family: ModelFamily<never, never>, preset: string, tag: string | true): PretrainedWeights {
  if (!family.pretrained) {
    throw new Error(`${preset}: no published weights on a hub to download (family '${family.name}'); ${family.manualWeights ?? 'load your own with loadPytorchWeights'}`);
  }
  return family.pretrained(preset, tag);
}

/** The local path of `weights`, downloaded once into the cache and verified (see core's `fetchCached`). */
export async function downloadPublished(weights: PretrainedWeights, opts: Omit<PretrainedOptions, 'pretrained'>): Promise<string> {
  const hub = (opts.hubUrl ?? process.env[HRNET_HUB_ENV] ?? DEFAULT_HUB).replace(/\/+$/, '');
  return fetchCached(`${hub}/${weights.repo}/resolve/main/${weights.file}`, {
    cachePath: `${weights.repo}/${weights.file}`,
    cacheDir: opts.cacheDir,
    what: `pretrained weights ${weights.id}`,
    log: opts.log,
  });
}

/** Downloads `weights` (once, into the cache, verified) and loads them into `model`. */
export async function loadPublishedWeights(model: tf.LayersModel, weights: PretrainedWeights, opts: Omit<PretrainedOptions, 'pretrained'>): Promise<void> {
  const file = await downloadPublished(weights, opts);
  await weights.load(model, file).catch((err: Error) => {
    throw new Error(`pretrained weights ${weights.id}: ${err.message}`);
  });
}
