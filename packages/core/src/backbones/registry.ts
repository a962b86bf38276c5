import * as tf from '@tensorflow/tfjs';
import { withInitSeed } from '../utils/init-seed.js';
import { hrnetFeatureInfo, hrnetFeatures, imageInput, type FeatureInfo, type HrnetFeatureOptions, type InputOptions } from './hrnet-backbone.js';
import { parseHrnetConfig, type HrnetConfig, type HrnetConfigInput } from './hrnet-config.js';
import { HRNET_VARIANTS } from './hrnet-variants.js';

const registry = new Map<string, HrnetConfig>(Object.entries(HRNET_VARIANTS));

/** A registered variant name, or a timm-style cfg dict. */
export type ModelNameOrConfig = string | HrnetConfigInput;

/** Registered model names, sorted; `filter` is a substring or a glob with `*` (timm's `list_models`). */
export function listModels(filter?: string): string[] {
  return filterModelNames(registry.keys(), filter);
}

/** Sorted `names` that contain `filter`, or match it as a glob when it has `*` (`hrnet list`'s semantics). */
export function filterModelNames(names: Iterable<string>, filter?: string): string[] {
  const sorted = [...names].sort();
  if (!filter) return sorted;
  const re = new RegExp(`^${filter.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return sorted.filter((n) => (filter.includes('*') ? re.test(n) : n.includes(filter)));
}

/** Adds a variant to the registry (validated); throws if the name is taken. */
export function registerModel(name: string, cfg: HrnetConfigInput): void {
  if (registry.has(name)) throw new Error(`model '${name}' is already registered`);
  registry.set(name, parseHrnetConfig(cfg, `cfg of '${name}'`));
}

/** Resolves a name or validates a cfg dict. Unknown names list the valid ones. */
export function resolveConfig(nameOrCfg: ModelNameOrConfig): HrnetConfig {
  if (typeof nameOrCfg !== 'string') return parseHrnetConfig(nameOrCfg);
  const cfg = registry.get(nameOrCfg);
  if (!cfg) throw new Error(`unknown model '${nameOrCfg}'; valid names: ${listModels().join(', ')}`);
  return structuredClone(cfg);
}

export interface BackboneOptions extends InputOptions, HrnetFeatureOptions {
  /** Model seed every layer's initial weights derive from (see `withInitSeed`). Default `DEFAULT_INIT_SEED` (0). */
  seed?: number;
}

/**
 * The HRNet trunk as a LayersModel whose outputs are the stage-4 branches (1/4 … 1/32), like timm's
 * `features_only` with `feature_location=''`. Channels and reductions: {@link backboneFeatureInfo}.
 */
export function createBackbone(nameOrCfg: ModelNameOrConfig, opts: BackboneOptions = {}): tf.LayersModel {
  const cfg = resolveConfig(nameOrCfg);
  return withInitSeed(opts.seed, () => {
    const input = imageInput(opts);
    const outputs = hrnetFeatures(input, cfg, opts);
    return tf.model({ inputs: input, outputs, name: typeof nameOrCfg === 'string' ? nameOrCfg : 'hrnet' });
  });
}

export function backboneFeatureInfo(nameOrCfg: ModelNameOrConfig): FeatureInfo[] {
  return hrnetFeatureInfo(resolveConfig(nameOrCfg));
}
