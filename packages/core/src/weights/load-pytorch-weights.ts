import * as tf from '@tensorflow/tfjs';
import { collectModelParams, type ModelParam } from './layer-params.js';
import { resolveNaming, type NamingFn, type NamingScheme } from './naming.js';
import { readWeights, type WeightsFormat } from './read-weights.js';
import { formatShape, invertPerm, permute, setEntry, stripCommonPrefix, toFloat32, type StateDict } from './state-dict.js';

/** What {@link loadPytorchWeights} did. */
export interface LoadReport {
  /** File name (or the `source` label of bytes). */
  source: string;
  format: WeightsFormat | 'state-dict';
  /** Checkpoint keys assigned to the model. */
  loaded: string[];
  /** Model parameters without a checkpoint key (only non-empty with `strict: false`; they keep their values). */
  missing: string[];
  /** Checkpoint keys no model parameter asked for (only non-empty with `strict: false`). */
  unexpected: string[];
  /** Keys skipped on purpose (`num_batches_tracked`, keys the naming scheme drops). */
  ignored: string[];
}

export interface ShapeMismatch {
  key: string;
  /** PyTorch layout. */
  checkpoint: number[];
  /** PyTorch layout of the model's parameter. */
  model: number[];
}

/** Everything that prevented a load; nothing was assigned. */
export class WeightLoadError extends Error {
  override name = 'WeightLoadError';
  constructor(
    message: string,
    readonly source: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly mismatched: ShapeMismatch[],
    readonly other: string[],
  ) {
    super(message);
  }
}

export type NamingOption = 'timm' | 'higherhrnet' | 'hf-hrnet' | (string & {}) | NamingFn | NamingScheme;

export interface LoadPytorchWeightsOptions {
  /** Key mapping; default 'timm' (the layer name is the PyTorch module path). */
  naming?: NamingOption;
  /** Default true: missing or unexpected keys are an error. false: they are reported. Shape mismatches always throw. */
  strict?: boolean;
  /** Name for messages when bytes are given. */
  source?: string;
}

/**
 * Loads a PyTorch checkpoint (`.pth`/`.pt` zip, torch >= 1.6) or a `.safetensors` file into a model whose layer
 * names are PyTorch module paths, converting layouts (OIHW → HWIO, Linear [out, in] → [in, out]).
 * All problems are collected first and thrown as one {@link WeightLoadError}; on error nothing is assigned.
 */
export async function loadPytorchWeights(
  model: tf.LayersModel,
  fileOrBytes: string | Uint8Array,
  opts: LoadPytorchWeightsOptions = {},
): Promise<LoadReport> {
  const file = await readWeights(fileOrBytes, { source: opts.source });
  return loadStateDict(model, file.tensors, { ...opts, source: file.source, format: file.format });
}

/** {@link loadPytorchWeights} for a state dict already in memory (e.g. from readPytorchCheckpoint). */
export function loadStateDict(
  model: tf.LayersModel,
  stateDict: StateDict,
  opts: LoadPytorchWeightsOptions & { format?: LoadReport['format'] } = {},
): LoadReport {
  const source = opts.source ?? '<state dict>';
  const strict = opts.strict ?? true;
  const naming = resolveNaming(opts.naming);
  const ignored: string[] = [];
  const available = new Map<string, StateDict[string]>();
  for (const [rawKey, t] of Object.entries(stripCommonPrefix(stateDict, 'module.'))) {
    const key = naming.checkpointKey ? naming.checkpointKey(rawKey) : rawKey;
    if (key === null || rawKey.endsWith('num_batches_tracked')) {
      ignored.push(rawKey);
      continue;
    }
    available.set(key, t);
  }

  const { params, problems } = collectModelParams(model, naming);
  const missing: string[] = [];
  const mismatched: ShapeMismatch[] = [];
  const matched: Array<[ModelParam, StateDict[string]]> = [];
  for (const p of params) {
    const t = available.get(p.key);
    if (!t) {
      missing.push(p.key);
      continue;
    }
    if (t.shape.length !== p.torchShape.length || t.shape.some((d, i) => d !== p.torchShape[i])) {
      mismatched.push({ key: p.key, checkpoint: t.shape, model: p.torchShape });
      continue;
    }
    matched.push([p, t]);
  }
  const used = new Set(params.map((p) => p.key));
  const unexpected = [...available.keys()].filter((k) => !used.has(k));

  const fatalMissing = strict ? missing : [];
  const fatalUnexpected = strict ? unexpected : [];
  if (fatalMissing.length || fatalUnexpected.length || mismatched.length || problems.length) {
    throw new WeightLoadError(
      describeProblems(model, source, fatalMissing, fatalUnexpected, mismatched, problems, params),
      source,
      fatalMissing,
      fatalUnexpected,
      mismatched,
      problems,
    );
  }

  // Convert everything first, then assign in one go.
  const converted = matched.map(([p, t]) => {
    const data = toFloat32(t);
    return [p, p.perm ? permute(data, p.torchShape, p.perm) : data] as const;
  });
  tf.tidy(() => {
    for (const [p, data] of converted) p.variable.write(tf.tensor(data, p.tfShape, 'float32'));
  });
  return { source, format: opts.format ?? 'state-dict', loaded: matched.map(([p]) => p.key), missing, unexpected, ignored };
}

function describeProblems(
  model: tf.LayersModel,
  source: string,
  missing: string[],
  unexpected: string[],
  mismatched: ShapeMismatch[],
  other: string[],
  params: ModelParam[],
): string {
  const counts = [
    missing.length && `${missing.length} missing`,
    unexpected.length && `${unexpected.length} unexpected`,
    mismatched.length && `${mismatched.length} shape mismatch${mismatched.length > 1 ? 'es' : ''}`,
    other.length && `${other.length} other`,
  ].filter(Boolean);
  const shapeOf = new Map(params.map((p) => [p.key, p.torchShape]));
  const lines = [`cannot load ${source} into model '${model.name}': ${counts.join(', ')} (nothing was assigned; shapes in PyTorch layout)`];
  if (missing.length) {
    lines.push(`  missing keys (in the model, not in the checkpoint):`);
    for (const k of missing) lines.push(`    ${k} ${formatShape(shapeOf.get(k) ?? [])}`);
  }
  if (unexpected.length) {
    lines.push(`  unexpected keys (in the checkpoint, not in the model):`);
    for (const k of unexpected) lines.push(`    ${k}`);
  }
  if (mismatched.length) {
    lines.push(`  shape mismatches:`);
    for (const m of mismatched) lines.push(`    ${m.key}: checkpoint ${formatShape(m.checkpoint)} vs model ${formatShape(m.model)}`);
  }
  if (other.length) {
    lines.push(`  other problems:`);
    for (const o of other) lines.push(`    ${o}`);
  }
  return lines.join('\n');
}

export interface ExportOptions {
  naming?: NamingOption;
}

/** The model's weights as a PyTorch-layout state dict (the inverse of {@link loadPytorchWeights}). */
export function exportPytorchStateDict(model: tf.LayersModel, opts: ExportOptions = {}): Record<string, { shape: number[]; data: Float32Array }> {
  const { params, problems } = collectModelParams(model, resolveNaming(opts.naming));
  if (problems.length) throw new Error(`cannot export model '${model.name}':\n  ${problems.join('\n  ')}`);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of params) {
    const values = p.variable.read().dataSync();
    const data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    setEntry(out, p.key, {
      shape: [...p.torchShape],
      data: p.perm ? permute(data, p.tfShape, invertPerm(p.perm)) : data.slice(),
    });
  }
  return out;
}
