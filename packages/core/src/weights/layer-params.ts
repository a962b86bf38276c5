import type * as tf from '@tensorflow/tfjs';
import type { NamingScheme } from './naming.js';

/**
 * Which PyTorch parameter each tfjs weight of a leaf layer is, and how its layout differs.
 * `perm`: the tfjs array is `permute(torchArray, perm)`, i.e. tfShape[j] = torchShape[perm[j]].
 */
export interface ParamSpec {
  /** Weight name inside the layer (`kernel`, `gamma`, …). */
  tfName: string;
  /** PyTorch parameter / buffer name (`weight`, `running_var`, …). */
  torchName: string;
  perm?: number[];
}

type ParamMapper = (layer: tf.layers.Layer) => ParamSpec[];

const OIHW_TO_HWIO = [2, 3, 1, 0];
/** Depthwise: PyTorch [C, 1, kh, kw] ↔ tfjs [kh, kw, C, 1]. */
const DEPTHWISE_TO_HWC1 = [2, 3, 0, 1];
/** Transposed conv: PyTorch [in, out, kh, kw] ↔ tfjs [kh, kw, out, in]; same permutation as OIHW → HWIO. */
const IOHW_TO_HWOI = [2, 3, 1, 0];

const batchNorm: ParamMapper = () => [
  { tfName: 'gamma', torchName: 'weight' },
  { tfName: 'beta', torchName: 'bias' },
  { tfName: 'moving_mean', torchName: 'running_mean' },
  { tfName: 'moving_variance', torchName: 'running_var' },
];

/** Layer className → mapping. Layers without weights need no entry. */
const MAPPERS: Record<string, ParamMapper> = {
  Conv2d: (layer) => [
    { tfName: 'kernel', torchName: 'weight', perm: (layer as unknown as { depthwise?: boolean }).depthwise ? DEPTHWISE_TO_HWC1 : OIHW_TO_HWIO },
    { tfName: 'bias', torchName: 'bias' },
  ],
  Conv2D: () => [
    { tfName: 'kernel', torchName: 'weight', perm: OIHW_TO_HWIO },
    { tfName: 'bias', torchName: 'bias' },
  ],
  // PyTorch ConvTranspose2d weight [in, out, kh, kw] → tfjs conv2dTranspose filter [kh, kw, out, in] (no spatial flip).
  ConvTranspose2d: () => [
    { tfName: 'kernel', torchName: 'weight', perm: IOHW_TO_HWOI },
    { tfName: 'bias', torchName: 'bias' },
  ],
  BatchNorm2d: batchNorm,
  BatchNormalization: batchNorm,
  Dense: () => [
    { tfName: 'kernel', torchName: 'weight', perm: [1, 0] },
    { tfName: 'bias', torchName: 'bias' },
  ],
};

/** One model weight with its checkpoint key and both layouts. */
export interface ModelParam {
  key: string;
  layerName: string;
  variable: tf.LayerVariable;
  tfShape: number[];
  torchShape: number[];
  /** tfjs = permute(torch, perm); undefined when the layouts agree. */
  perm?: number[];
}

export interface CollectedParams {
  params: ModelParam[];
  /** Layers that have weights but no known PyTorch mapping, duplicate keys, … */
  problems: string[];
}

function shortName(v: tf.LayerVariable): string {
  const n = v.originalName ?? v.name;
  return n.slice(n.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

function isContainer(layer: tf.layers.Layer): layer is tf.layers.Layer & { layers: tf.layers.Layer[] } {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

/** Every weight of `model` (nested models included), named by `naming`. */
export function collectModelParams(model: tf.LayersModel, naming: NamingScheme): CollectedParams {
  const params: ModelParam[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const visit = (layer: tf.layers.Layer) => {
    if (isContainer(layer)) {
      for (const l of layer.layers) visit(l);
      return;
    }
    const weights = layer.weights;
    if (weights.length === 0) return;
    const cls = layer.getClassName();
    const mapper = MAPPERS[cls];
    if (!mapper) {
      problems.push(`layer '${layer.name}' (${cls}) has weights but no known PyTorch mapping`);
      return;
    }
    const specs = mapper(layer);
    for (const v of weights) {
      const short = shortName(v);
      const spec = specs.find((s) => s.tfName === short);
      if (!spec) {
        problems.push(`layer '${layer.name}' (${cls}): weight '${short}' has no known PyTorch name`);
        continue;
      }
      const key = naming.key(layer.name, spec.torchName);
      const other = seen.get(key);
      if (other) {
        problems.push(`layers '${other}' and '${layer.name}' both map to key '${key}'`);
        continue;
      }
      seen.set(key, layer.name);
      const tfShape = v.shape as number[];
      const torchShape = spec.perm ? tfToTorchShape(tfShape, spec.perm) : [...tfShape];
      params.push({ key, layerName: layer.name, variable: v, tfShape: [...tfShape], torchShape, perm: spec.perm });
    }
  };
  for (const l of model.layers) visit(l);
  return { params, problems };
}

function tfToTorchShape(tfShape: number[], perm: number[]): number[] {
  const torch = new Array<number>(perm.length);
  perm.forEach((p, j) => (torch[p] = tfShape[j]));
  return torch;
}
