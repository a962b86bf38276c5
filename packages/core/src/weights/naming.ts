/**
 * How model parameters are named in a checkpoint. Our layers are named after the PyTorch module paths, so a
 * scheme maps (layer name, PyTorch parameter name) → state-dict key, and may normalise the checkpoint's keys
 * first (strip a prefix, drop keys that are not parameters).
 */

/** (layer name, PyTorch parameter name such as 'weight' or 'running_var') → state-dict key. */
export type NamingFn = (layerName: string, param: string) => string;

export interface NamingScheme {
  /** State-dict key of a parameter. */
  key: NamingFn;
  /** Rewrites a checkpoint key before matching; return null to ignore the key. Default: identity. */
  checkpointKey?: (key: string) => string | null;
}

const timm: NamingScheme = { key: (layer, param) => `${layer}.${param}` };

const higherhrnet: NamingScheme = {
  key: timm.key,
  // Official HigherHRNet/HRNet checkpoints were often saved from DataParallel: keys may start with `module.`.
  checkpointKey: (k) => (k.startsWith('module.') ? k.slice('module.'.length) : k),
};

const hfHrnet: NamingScheme = {
  key: timm.key,
  // MMPose checkpoints (the official HF-HRNet ones) name the backbone's parameters `backbone.*`; other keys
  // (`keypoint_head.*`) pass through unchanged for models that have that head.
  checkpointKey: (k) => (k.startsWith('backbone.') ? k.slice('backbone.'.length) : k),
};

const schemes = new Map<string, NamingScheme>([
  ['timm', timm],
  ['higherhrnet', higherhrnet],
  ['hf-hrnet', hfHrnet],
]);

/** Adds a named scheme (usable as `naming: name` and by the CLI's `--naming`). */
export function registerNaming(name: string, scheme: NamingScheme | NamingFn): void {
  if (schemes.has(name)) throw new Error(`naming '${name}' is already registered`);
  schemes.set(name, typeof scheme === 'function' ? { key: scheme } : scheme);
}

export function listNamings(): string[] {
  return [...schemes.keys()].sort();
}

/** A registered name, a function or a scheme → scheme. Default 'timm'. */
export function resolveNaming(naming: string | NamingFn | NamingScheme = 'timm'): NamingScheme {
  if (typeof naming === 'function') return { key: naming };
  if (typeof naming === 'object') return naming;
  const s = schemes.get(naming);
  if (!s) throw new Error(`unknown naming '${naming}'; valid: ${listNamings().join(', ')}`);
  return s;
}
