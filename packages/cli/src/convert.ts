import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import {
  createBackbone,
  exportPytorchStateDict,
  loadStateDict,
  readWeights,
  resolveConfig,
  resolveNaming,
  saveModelToDir,
  writeSafetensors,
  type ModelNameOrConfig,
  type StateDict,
} from '@hrnet/core';
import { createClassifier } from '@hrnet/heads';
import type { CliIo } from './program.js';

const STAGE_KEYS = ['stem_width', 'stage1', 'stage2', 'stage3', 'stage4'] as const;

interface ModelArg {
  cfg: ModelNameOrConfig;
  /** `head` block of a cfg JSON (as in the timm fixture configs), used when the checkpoint says nothing. */
  head?: { head_channels?: number[]; num_features?: number; num_classes?: number; conv_bias?: boolean };
}

/** A registered name, or a cfg JSON file (timm keys; other top-level keys such as `head` are allowed). */
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

/** `hrnet convert`'s options, as commander parses them. */
export interface ConvertOptions {
  model: string;
  weights: string;
  out: string;
  numClasses?: number;
  naming: string;
  inputSize?: number;
  safetensors?: boolean;
  strict: boolean;
  force?: boolean;
}

/** Head widths as stored in a timm classifier checkpoint. */
function inferHead(tensors: StateDict) {
  const shape0 = (k: string) => tensors[k]?.shape[0];
  const hc = [0, 1, 2, 3].map((i) => shape0(`incre_modules.${i}.0.conv1.weight`));
  return {
    headChannels: hc.every((c) => c !== undefined) ? (hc as [number, number, number, number]) : undefined,
    numFeatures: shape0('final_layer.0.weight'),
    convBias: 'final_layer.0.weight' in tensors ? 'final_layer.0.bias' in tensors : undefined,
    numClasses: shape0('classifier.weight'),
  };
}

/** `hrnet convert`: builds the backbone or classifier the checkpoint describes, loads it, writes a tfjs model directory. */
export async function convert(opts: ConvertOptions, io: CliIo): Promise<void> {
  const naming = resolveNaming(opts.naming);
  const { cfg, head } = await resolveModelArg(opts.model);
  const file = await readWeights(opts.weights);
  // a null prototype makes a key such as '__proto__' an ordinary entry
  const tensors: StateDict = Object.create(null);
  for (const [k, t] of Object.entries(file.tensors)) {
    const key = naming.checkpointKey ? naming.checkpointKey(k) : k;
    if (key !== null) tensors[key] = t;
  }
  const inferred = inferHead(tensors);
  const numClasses = opts.numClasses ?? inferred.numClasses;
  const inputShape: [number | null, number | null, number] = opts.inputSize ? [opts.inputSize, opts.inputSize, 3] : [null, null, 3];

  let model: tf.LayersModel;
  if (numClasses !== undefined) {
    const hc = head?.head_channels;
    model = createClassifier(cfg, {
      numClasses,
      headChannels: inferred.headChannels ?? (hc?.length === 4 ? (hc as [number, number, number, number]) : undefined),
      numFeatures: inferred.numFeatures ?? head?.num_features,
      convBias: inferred.convBias ?? head?.conv_bias,
      inputShape,
    });
  } else {
    model = createBackbone(cfg, { inputShape });
  }

  try {
    const report = loadStateDict(model, file.tensors, { naming, strict: opts.strict, source: file.source, format: file.format });
    for (const k of report.missing) io.err(`warning: missing ${k} (left at its initial value)`);
    for (const k of report.unexpected) io.err(`warning: unexpected ${k} (ignored)`);
    const extraFiles: Record<string, Uint8Array> = {};
    if (opts.safetensors) {
      extraFiles['weights.safetensors'] = writeSafetensors(exportPytorchStateDict(model, { naming }), {
        metadata: { format: 'pt', source: file.source },
      });
    }
    await saveModelToDir(model, opts.out, { extraFiles, force: opts.force });
    const kind = numClasses !== undefined ? `classifier (${numClasses} classes)` : 'backbone';
    io.out(`converted ${report.loaded.length} tensors of ${file.source} (${file.format}) into a ${kind}: ${opts.out}/model.json + weights.bin${opts.safetensors ? ' + weights.safetensors' : ''}`);
  } finally {
    model.dispose();
  }
}

