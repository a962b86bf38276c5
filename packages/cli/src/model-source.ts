import { readFile, stat } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import {
  createBackbone,
  loadModelFromDir,
  loadStateDict,
  readWeights,
  resolveConfig,
  resolveNaming,
  type LoadReport,
  type ModelNameOrConfig,
  type StateDict,
} from '@hrnet/core';
import { createClassifier, createModel, listModels, modelInfo } from '@hrnet/heads';
import { loadCheckpoint, readCheckpointMeta, restoreModelWeights, type CheckpointMeta } from '@hrnet/train';
import type { CliIo } from './program.js';

const STAGE_KEYS = ['stem_width', 'stage1', 'stage2', 'stage3', 'stage4'] as const;

/** The weight naming each family's published checkpoints use (what `--naming` defaults to). */
const FAMILY_NAMING: Readonly<Record<string, string>> = { classification: 'timm', 'higher-hrnet': 'higherhrnet', segmentation: 'hrnet-seg' };

/** Where a model comes from, as `hrnet convert` / `hrnet export` take it. */
export interface ModelSourceOptions {
  /** A model directory, an @hrnet/train checkpoint, a registered name or a timm-style cfg JSON file. */
  model: string;
  /** Weights for a name / cfg: PyTorch zip, safetensors (timm / official naming) or an @hrnet/train checkpoint. */
  weights?: string;
  numClasses?: number;
  naming?: string;
  inputSize?: number;
  strict: boolean;
}

export interface LoadedModel {
  model: tf.LayersModel;
  /** What was loaded, for the success line: `12 tensors of x.pth (pytorch) into a classifier (3 classes)`. */
  summary: string;
  /** The weight naming the model was loaded with (convert's safetensors copy writes the same). */
  naming: string;
  report?: LoadReport;
}

interface ModelArg {
  cfg: ModelNameOrConfig;
  /** `head` block of a cfg JSON (as in the timm fixture configs), used when the checkpoint says nothing. */
  head?: { head_channels?: number[]; num_features?: number; num_classes?: number; conv_bias?: boolean };
}

/** A registered backbone name, or a cfg JSON file (timm keys; other top-level keys such as `head` are allowed). */
async function resolveModelArg(arg: string): Promise<ModelArg> {
  if (!/\.json$/i.test(arg)) {
    resolveConfig(arg); // throws listing the valid names
    return { cfg: arg };
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(arg, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read model cfg '${arg}': ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`model cfg '${arg}' is not a JSON object`);
  const cfg = Object.fromEntries(STAGE_KEYS.filter((k) => k in json).map((k) => [k, json[k]]));
  resolveConfig(cfg as ModelNameOrConfig); // validate early, naming the offending keys
  return { cfg: cfg as ModelNameOrConfig, head: (json.head ?? undefined) as ModelArg['head'] };
}

/** Head widths as stored in a checkpoint, from PyTorch parameter names and the size of their first dimension. */
function inferHead(outChannels: (torchKey: string) => number | undefined) {
  const hc = [0, 1, 2, 3].map((i) => outChannels(`incre_modules.${i}.0.conv1.weight`));
  return {
    headChannels: hc.every((c) => c !== undefined) ? (hc as [number, number, number, number]) : undefined,
    numFeatures: outChannels('final_layer.0.weight'),
    convBias: outChannels('final_layer.0.weight') !== undefined ? outChannels('final_layer.0.bias') !== undefined : undefined,
    numClasses: outChannels('classifier.weight'),
  };
}

/**
 * An @hrnet/train checkpoint's weights by PyTorch name → output channels: tfjs keeps `<layer>/kernel` with the
 * output channels last (conv [kh, kw, in, out], dense [in, out]), and layers are named after the PyTorch modules.
 */
function checkpointOutChannels(meta: CheckpointMeta): (torchKey: string) => number | undefined {
  const out = new Map<string, number>();
  for (const w of meta.weights) {
    const m = /^(.*)\/(kernel|bias)(_\d+)?$/.exec(w.name);
    if (m) out.set(`${m[1]}.${m[2] === 'kernel' ? 'weight' : 'bias'}`, w.shape[w.shape.length - 1]);
  }
  return (k) => out.get(k);
}

function inputShapeOf(inputSize?: number): [number | null, number | null, number] {
  return inputSize ? [inputSize, inputSize, 3] : [null, null, 3];
}

/** The network `--model` names: another family's preset, or a timm classifier / backbone with the checkpoint's head. */
async function buildNamed(opts: ModelSourceOptions, outChannels: (torchKey: string) => number | undefined): Promise<{ model: tf.LayersModel; kind: string; family: string }> {
  const inputShape = inputShapeOf(opts.inputSize);
  if (!/\.json$/i.test(opts.model) && listModels().includes(opts.model) && modelInfo(opts.model).family !== 'classification') {
    const family = modelInfo(opts.model).family;
    return { model: createModel(opts.model, { inputShape }), kind: `${family} model`, family };
  }
  const { cfg, head } = await resolveModelArg(opts.model);
  const inferred = inferHead(outChannels);
  const numClasses = opts.numClasses ?? inferred.numClasses;
  if (numClasses === undefined) return { model: createBackbone(cfg, { inputShape }), kind: 'backbone', family: 'classification' };
  const hc = head?.head_channels;
  const model = createClassifier(cfg, {
    numClasses,
    headChannels: inferred.headChannels ?? (hc?.length === 4 ? (hc as [number, number, number, number]) : undefined),
    numFeatures: inferred.numFeatures ?? head?.num_features,
    convBias: inferred.convBias ?? head?.conv_bias,
    inputShape,
  });
  return { model, kind: `classifier (${numClasses} classes)`, family: 'classification' };
}

/** The network stored in an @hrnet/train checkpoint (its `topology`), with the checkpoint's weights. */
async function fromCheckpointTopology(path: string, meta: CheckpointMeta): Promise<tf.LayersModel> {
  if (meta.topology == null) {
    throw new Error(`'${path}' is an @hrnet/train checkpoint written without its network topology (an older version): pass the network with --model <name|cfg.json> --weights ${path}`);
  }
  // core's and heads' layer classes are registered by importing them (above)
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: meta.topology as tf.io.ModelJSON['modelTopology'] }));
  await restoreTrainCheckpoint(model, path);
  return model;
}

/** The checkpoint's weights into `model` (which is disposed when they do not fit). */
async function restoreTrainCheckpoint(model: tf.LayersModel, path: string): Promise<void> {
  try {
    restoreModelWeights(await loadCheckpoint(path), model);
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Builds and loads the model of `--model` / `--weights`: a tfjs model directory; an @hrnet/train checkpoint alone
 * (its stored topology); or a registered name / cfg JSON with `--weights`, which may be PyTorch / safetensors
 * weights (timm or the family's official naming) or an @hrnet/train checkpoint (head sizes read from it).
 */
export async function loadModelSource(opts: ModelSourceOptions): Promise<LoadedModel> {
  const st = await stat(opts.model).catch(() => undefined);
  if (st?.isDirectory()) {
    if (opts.weights) throw new Error(`--weights: '${opts.model}' is a model directory, which holds its weights already`);
    const model = await loadModelFromDir(opts.model).catch((e: Error) => {
      throw new Error(`--model '${opts.model}': not a model directory (${e.message.split('\n')[0]})`);
    });
    return { model, summary: `model directory ${opts.model}`, naming: opts.naming ?? 'timm' };
  }
  if (st?.isFile() && !/\.json$/i.test(opts.model)) {
    const meta = await readCheckpointMeta(opts.model);
    if (!meta) {
      throw new Error(`--model '${opts.model}': not a model directory, an @hrnet/train checkpoint, a registered name or a cfg JSON (PyTorch / safetensors weights go in --weights, with the network in --model)`);
    }
    if (opts.weights) throw new Error(`--weights: '${opts.model}' is an @hrnet/train checkpoint, which holds its weights already`);
    const model = await fromCheckpointTopology(opts.model, meta);
    return { model, summary: `@hrnet/train checkpoint ${opts.model} (epoch ${meta.epoch}, ${meta.weights.length} tensors)`, naming: opts.naming ?? 'timm' };
  }
  if (!opts.weights) throw new Error(`--weights is required with --model '${opts.model}' (a name or cfg JSON gives the network, not its weights)`);

  const meta = await readCheckpointMeta(opts.weights).catch(() => undefined);
  if (meta) {
    const { model, kind, family } = await buildNamed(opts, checkpointOutChannels(meta));
    await restoreTrainCheckpoint(model, opts.weights);
    return { model, summary: `${meta.weights.length} tensors of @hrnet/train checkpoint ${opts.weights} (epoch ${meta.epoch}) into a ${kind}`, naming: opts.naming ?? FAMILY_NAMING[family] ?? 'timm' };
  }

  const file = await readWeights(opts.weights);
  const probe = resolveNaming(opts.naming ?? 'timm');
  // a null prototype makes a key such as '__proto__' an ordinary entry
  const tensors: StateDict = Object.create(null);
  for (const [k, t] of Object.entries(file.tensors)) {
    const key = probe.checkpointKey ? probe.checkpointKey(k) : k;
    if (key !== null) tensors[key] = t;
  }
  const { model, kind, family } = await buildNamed(opts, (k) => tensors[k]?.shape[0]);
  const naming = opts.naming ?? FAMILY_NAMING[family] ?? 'timm';
  try {
    const report = loadStateDict(model, file.tensors, { naming: resolveNaming(naming), strict: opts.strict, source: file.source, format: file.format });
    return { model, summary: `${report.loaded.length} tensors of ${file.source} (${file.format}) into a ${kind}`, naming, report };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Missing / unexpected checkpoint keys of a non-strict load, one warning line each. */
export function warnLoadReport(loaded: LoadedModel, io: CliIo): void {
  for (const k of loaded.report?.missing ?? []) io.err(`warning: missing ${k} (left at its initial value)`);
  for (const k of loaded.report?.unexpected ?? []) io.err(`warning: unexpected ${k} (ignored)`);
}
