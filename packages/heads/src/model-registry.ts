import type * as tf from '@tensorflow/tfjs';
import { filterModelNames } from '@hrnet/core';
import { classificationFamily } from './classification/family.js';
import { higherHrnetFamily } from './higher-hrnet/family.js';
import { segmentationFamily } from './segmentation/family.js';
import { topDownFamily } from './top-down/family.js';
import type { ModelFamily, ModelInfo, ModelOptions } from './model-family.js';
import { downloadPublished, loadPublishedWeights, publishedWeights, type PretrainedOptions } from './pretrained-weights.js';

// The built-in families; a new family adds its folder and one entry here.
const families = new Map<string, ModelFamily<never, never>>();
for (const f of [classificationFamily, higherHrnetFamily, segmentationFamily, topDownFamily] as ModelFamily<never, never>[]) families.set(f.name, f);

/** A family config with the family named: `{ family: 'higher-hrnet', config: { MODEL, LOSS } }`. */
export interface FamilyConfig {
  family: string;
  config: unknown;
}

/** Adds a model family (its presets become visible to {@link listModels} and {@link createModel}). */
export function registerFamily<C, O extends ModelOptions>(family: ModelFamily<C, O>): void {
  if (families.has(family.name)) throw new Error(`model family '${family.name}' is already registered`);
  const taken = family.presets().filter((p) => familyOf(p, false));
  if (taken.length) throw new Error(`model family '${family.name}': preset names already used: ${taken.join(', ')}`);
  families.set(family.name, family as unknown as ModelFamily<never, never>);
}

/** Registered family names. */
export function listFamilies(): string[] {
  return [...families.keys()];
}

function familyOf(name: string, required = true): ModelFamily<never, never> | undefined {
  for (const f of families.values()) if (f.presets().includes(name)) return f;
  if (required) throw new Error(`unknown model '${name}'; valid names: ${listModels().join(', ')}`);
  return undefined;
}

function family(name: string): ModelFamily<never, never> {
  const f = families.get(name);
  if (!f) throw new Error(`unknown model family '${name}'; valid families: ${listFamilies().join(', ')}`);
  return f;
}

/** Every preset of every family, sorted; `filter` is a substring or a glob with `*` (timm's `list_models`). */
export function listModels(filter?: string): string[] {
  return filterModelNames([...families.values()].flatMap((f) => f.presets()).sort(), filter);
}

/**
 * Family and preprocessing of a preset (what `hrnet list` prints), or of one of its published weights,
 * `<preset>.<tag>` as timm names them. A bare preset name with published weights gets its default tag's
 * preprocessing, as timm's pretrained cfg does (`hrnet_w18` → `hrnet_w18.ms_aug_in1k`, crop 0.95).
 */
export function modelInfo(name: string): ModelInfo {
  const dot = name.indexOf('.');
  const preset = dot < 0 ? name : name.slice(0, dot);
  const f = familyOf(preset)!;
  const info = f.info(preset);
  const weights = dot >= 0 ? publishedWeights(f, preset, name.slice(dot + 1)) : f.pretrained?.(preset, true);
  if (!weights) return info;
  return { ...info, preprocessing: { ...info.preprocessing, ...weights.preprocessing }, pretrained: weights.id };
}

type CreateOptions = ModelOptions & Record<string, unknown>;

/**
 * Builds any registered model: a preset name (`hrnet_w18_small` … `hrnet_w64`, `higherhrnet_w32_512`, …) or a
 * family config (`{ family: 'classification', config: <timm cfg> }`). `opts` go to the family's factory
 * (`numClasses` for classifiers, default 1000 as timm's; `seed` for the official initialisation).
 *
 * `pretrained: true | '<tag>'` (timm's `create_model(name, pretrained=True)`): a promise of the model with the
 * preset's published weights, downloaded once into a cache (`cacheDir`, `$HRNET_CACHE_DIR`, `~/.cache/hrnet`),
 * verified against the hub's size and sha256, converted on load. A classifier of another `numClasses` keeps
 * its own classifier, as timm's. Families whose weights are on no hub say where to download them by hand.
 */
export function createModel(nameOrConfig: string | FamilyConfig, opts: CreateOptions & PretrainedOptions & { pretrained: true | string }): Promise<tf.LayersModel>;
export function createModel(nameOrConfig: string | FamilyConfig, opts?: CreateOptions & { pretrained?: false }): tf.LayersModel;
export function createModel(nameOrConfig: string | FamilyConfig, opts?: CreateOptions & PretrainedOptions): tf.LayersModel | Promise<tf.LayersModel>;
export function createModel(nameOrConfig: string | FamilyConfig, opts: CreateOptions & PretrainedOptions = {}): tf.LayersModel | Promise<tf.LayersModel> {
  const { pretrained, cacheDir, hubUrl, log, ...rest } = opts;
  if (typeof nameOrConfig !== 'string' && (nameOrConfig == null || typeof nameOrConfig.family !== 'string')) {
    throw new Error(`createModel: expected a model name or { family, config }, got ${JSON.stringify(nameOrConfig)}`);
  }
  const f = typeof nameOrConfig === 'string' ? familyOf(nameOrConfig)! : family(nameOrConfig.family);
  if (pretrained && typeof nameOrConfig !== 'string') throw new Error('createModel: pretrained weights come with a preset name, not a family config');
  const weights = pretrained ? publishedWeights(f, nameOrConfig as string, pretrained) : undefined;
  const model = f.create((typeof nameOrConfig === 'string' ? nameOrConfig : nameOrConfig.config) as never, rest as never);
  if (!weights) return model;
  return loadPublishedWeights(model, weights, { cacheDir, hubUrl, log }).then(
    () => model,
    (err: unknown) => {
      model.dispose();
      throw err;
    },
  );
}

/**
 * Loads the published weights of `preset` into a model built for it (e.g. by `createClassifier` with your own
 * `numClasses` / `dropRate`): what `createModel(preset, { pretrained })` does after building.
 */
export async function loadPretrained(model: tf.LayersModel, preset: string, opts: PretrainedOptions = {}): Promise<void> {
  const { pretrained = true, ...rest } = opts;
  if (pretrained) await loadPublishedWeights(model, publishedWeights(familyOf(preset)!, preset, pretrained), rest);
}

/**
 * The local path of the published weights of `preset` (downloaded once into the cache, verified), for loading them
 * another way: e.g. timm's ImageNet `hrnet_w32` as the backbone of a pose model (HigherHRNet's MODEL.PRETRAINED).
 */
export async function fetchPretrained(preset: string, opts: PretrainedOptions = {}): Promise<string> {
  const { pretrained = true, ...rest } = opts;
  return downloadPublished(publishedWeights(familyOf(preset)!, preset, pretrained || true), rest);
}
