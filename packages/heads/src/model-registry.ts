import type * as tf from '@tensorflow/tfjs';
import { filterModelNames } from '@hrnet/core';
import { classificationFamily } from './classification/family.js';
import { higherHrnetFamily } from './higher-hrnet/family.js';
import { segmentationFamily } from './segmentation/family.js';
import { topDownFamily } from './top-down/family.js';
import type { ModelFamily, ModelInfo, ModelOptions } from './model-family.js';

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

/** Family and preprocessing of a preset (what `hrnet list` prints). */
export function modelInfo(name: string): ModelInfo {
  return familyOf(name)!.info(name);
}

/**
 * Builds any registered model: a preset name (`hrnet_w18_small` … `hrnet_w64`, `higherhrnet_w32_512`, …) or a
 * family config (`{ family: 'classification', config: <timm cfg> }`). `opts` go to the family's factory
 * (`numClasses` for classifiers, default 1000 as timm's; `seed` for the official initialisation).
 */
export function createModel(nameOrConfig: string | FamilyConfig, opts: ModelOptions & Record<string, unknown> = {}): tf.LayersModel {
  if (typeof nameOrConfig === 'string') return familyOf(nameOrConfig)!.create(nameOrConfig as never, opts as never);
  if (nameOrConfig == null || typeof nameOrConfig.family !== 'string') {
    throw new Error(`createModel: expected a model name or { family, config }, got ${JSON.stringify(nameOrConfig)}`);
  }
  return family(nameOrConfig.family).create(nameOrConfig.config as never, opts as never);
}
