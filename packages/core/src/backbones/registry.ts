import * as tf from '@tensorflow/tfjs';
import { hfHrnetFeatureInfo, hfHrnetFeatures } from './hf-hrnet-backbone.js';
import { isHfHrnetConfig, parseHfHrnetConfig, type HfHrnetConfig, type HfHrnetConfigInput } from './hf-hrnet-config.js';
import { HF_HRNET_VARIANTS } from './hf-hrnet-variants.js';
import { withInitSeed } from '../utils/init-seed.js';
import { hrnetFeatureInfo, hrnetFeatures, imageInput, type FeatureInfo, type HrnetFeatureOptions, type InputOptions } from './hrnet-backbone.js';
import { parseHrnetConfig, type HrnetConfig, type HrnetConfigInput } from './hrnet-config.js';
import { HRNET_VARIANTS } from './hrnet-variants.js';

/** The backbone families: timm-style HRNet (`hrnet_*`) and HF-HRNet (`hf_hrnet_*`, HUM blocks). */
export type BackboneFamily = 'hrnet' | 'hf-hrnet';

/** A validated cfg with its family. */
export type BackboneConfig = { family: 'hrnet'; cfg: HrnetConfig } | { family: 'hf-hrnet'; cfg: HfHrnetConfig };

const registry = new Map<string, BackboneConfig>([
  ...Object.entries(HRNET_VARIANTS).map(([n, cfg]) => [n, { family: 'hrnet', cfg }] as const),
  ...Object.entries(HF_HRNET_VARIANTS).map(([n, cfg]) => [n, { family: 'hf-hrnet', cfg }] as const),
]);

/** A registered variant name, a timm-style HRNet cfg dict or HF-HRNet's official `extra` dict. */
export type ModelNameOrConfig = string | HrnetConfigInput | HfHrnetConfigInput;

export interface ListModelsOptions {
  /** Only this family's names. */
  family?: BackboneFamily;
}

/** Registered model names, sorted; `filter` is a substring or a glob with `*` (timm's `list_models`). */
export function listModels(filter?: string, { family }: ListModelsOptions = {}): string[] {
  return filterModelNames([...registry.keys()].filter((n) => !family || registry.get(n)!.family === family), filter);
}

/** Sorted `names` that contain `filter`, or match it as a glob when it has `*` (timm's `list_models`, `hrnet list`). */
export function filterModelNames(names: Iterable<string>, filter?: string): string[] {
  const sorted = [...names].sort();
  if (!filter) return sorted;
  const re = new RegExp(`^${filter.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return sorted.filter((n) => (filter.includes('*') ? re.test(n) : n.includes(filter)));
}

/** Validates a cfg dict of either family: HF-HRNet's has `stem` / `num_stages` / `stages_spec` / `with_head`. */
function parseBackboneConfig(cfg: unknown, source?: string): BackboneConfig {
  return isHfHrnetConfig(cfg)
    ? { family: 'hf-hrnet', cfg: parseHfHrnetConfig(cfg, source) }
    : { family: 'hrnet', cfg: parseHrnetConfig(cfg, source) };
}

/** Adds a variant of either family to the registry (validated); throws if the name is taken. */
export function registerModel(name: string, cfg: HrnetConfigInput | HfHrnetConfigInput): void {
  if (registry.has(name)) throw new Error(`model '${name}' is already registered`);
  registry.set(name, parseBackboneConfig(cfg, `cfg of '${name}'`));
}

/** Resolves a name or validates a cfg dict of either family. Unknown names list the valid ones. */
export function resolveBackbone(nameOrCfg: ModelNameOrConfig): BackboneConfig {
  if (typeof nameOrCfg !== 'string') return parseBackboneConfig(nameOrCfg);
  const entry = registry.get(nameOrCfg);
  if (!entry) throw new Error(`unknown model '${nameOrCfg}'; valid names: ${listModels().join(', ')}`);
  return structuredClone(entry);
}

/** {@link resolveBackbone} for the timm HRNet family only (what its heads build on); other families are an error. */
export function resolveConfig(nameOrCfg: ModelNameOrConfig): HrnetConfig {
  const entry = resolveBackbone(nameOrCfg);
  if (entry.family !== 'hrnet') {
    const what = typeof nameOrCfg === 'string' ? `'${nameOrCfg}'` : 'this cfg';
    throw new Error(`${what} is an ${entry.family} backbone, expected an HRNet (timm) one: ${listModels(undefined, { family: 'hrnet' }).join(', ')}`);
  }
  return entry.cfg;
}

export interface BackboneOptions extends InputOptions, HrnetFeatureOptions {
  /** Model seed every layer's initial weights derive from (see `withInitSeed`). Default `DEFAULT_INIT_SEED` (0). `multiScaleOutput` applies to the HRNet family only. */
  seed?: number;
}

/**
 * The backbone as a LayersModel on NHWC images. HRNet: the stage-4 branches (1/4 … 1/32), like timm's
 * `features_only` with `feature_location=''`. HF-HRNet: one output, the IterativeHead's 1/4 map.
 * Channels and reductions: {@link backboneFeatureInfo}.
 */
export function createBackbone(nameOrCfg: ModelNameOrConfig, opts: BackboneOptions = {}): tf.LayersModel {
  const entry = resolveBackbone(nameOrCfg);
  return withInitSeed(opts.seed, () => {
    const input = imageInput(opts);
    const outputs = entry.family === 'hrnet' ? hrnetFeatures(input, entry.cfg, opts) : hfHrnetFeatures(input, entry.cfg);
    return tf.model({ inputs: input, outputs, name: typeof nameOrCfg === 'string' ? nameOrCfg : entry.family.replace('-', '_') });
  });
}

export function backboneFeatureInfo(nameOrCfg: ModelNameOrConfig): FeatureInfo[] {
  const entry = resolveBackbone(nameOrCfg);
  return entry.family === 'hrnet' ? hrnetFeatureInfo(entry.cfg) : hfHrnetFeatureInfo(entry.cfg);
}
