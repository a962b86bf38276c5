#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { createBackbone, listModels, resolveConfig, type ModelNameOrConfig } from './backbones/registry.js';
import { exportPytorchStateDict, loadStateDict } from './weights/load-pytorch-weights.js';
import { saveModelToDir } from './weights/model-dir.js';
import { resolveNaming } from './weights/naming.js';
import { readWeights } from './weights/read-weights.js';
import { writeSafetensors } from './weights/safetensors.js';
import { setEntry, type StateDict } from './weights/state-dict.js';

/** The part of @hrnet/heads the CLI uses (loaded dynamically: core must not depend on heads). */
export interface HeadsModule {
  createClassifier(
    nameOrCfg: ModelNameOrConfig,
    opts: {
      numClasses: number;
      headChannels?: [number, number, number, number];
      numFeatures?: number;
      convBias?: boolean;
      inputShape?: [number | null, number | null, number];
    },
  ): tf.LayersModel;
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface CliDeps {
  /** How to obtain @hrnet/heads (tests inject failures). Default: dynamic import. */
  loadHeads?: () => Promise<HeadsModule>;
}

const HEADS_PACKAGE = '@hrnet/heads';

async function importHeads(): Promise<HeadsModule> {
  const spec = HEADS_PACKAGE; // a variable keeps bundlers and tsc from resolving it at build time
  return (await import(spec)) as HeadsModule;
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

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

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

interface ConvertOptions {
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

async function convert(opts: ConvertOptions, io: CliIo, deps: CliDeps): Promise<void> {
  const naming = resolveNaming(opts.naming);
  const { cfg, head } = await resolveModelArg(opts.model);
  const file = await readWeights(opts.weights);
  const tensors: StateDict = {};
  for (const [k, t] of Object.entries(file.tensors)) {
    const key = naming.checkpointKey ? naming.checkpointKey(k) : k;
    if (key !== null) setEntry(tensors, key, t);
  }
  const inferred = inferHead(tensors);
  const numClasses = opts.numClasses ?? inferred.numClasses;
  const inputShape: [number | null, number | null, number] = opts.inputSize ? [opts.inputSize, opts.inputSize, 3] : [null, null, 3];

  let model: tf.LayersModel;
  if (numClasses !== undefined) {
    let heads: HeadsModule;
    try {
      heads = await (deps.loadHeads ?? importHeads)();
    } catch (err) {
      if (!isModuleNotFound(err)) throw err;
      const why = opts.numClasses !== undefined ? '--num-classes was given' : `the checkpoint has 'classifier.weight'`;
      throw new Error(`${why}, so this is a classifier, which needs ${HEADS_PACKAGE}: it is not installed (npm install ${HEADS_PACKAGE})`);
    }
    const hc = head?.head_channels;
    model = heads.createClassifier(cfg, {
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

/** The `hrnet` commander program. Errors propagate; {@link runCli} turns them into one line and exit code 1. */
export function createProgram(io: CliIo, deps: CliDeps = {}): Command {
  const program = new Command('hrnet')
    .description('HRNet for TensorFlow.js: convert PyTorch / safetensors checkpoints, list models')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(s) });

  program
    .command('convert')
    .description('convert a PyTorch (.pth/.pt zip) or .safetensors checkpoint into a tfjs model directory (model.json + weights.bin)')
    .requiredOption('--model <name|cfg.json>', 'registered model name (see `hrnet list`) or a timm-style cfg JSON file')
    .requiredOption('--weights <file>', 'checkpoint: .pth/.pt (torch >= 1.6 zip) or .safetensors')
    .requiredOption('--out <dir>', 'output directory (written atomically; an existing model directory is replaced, one holding other files refused)')
    .option('--num-classes <n>', 'build a classifier with n classes (default: from classifier.weight if present, else backbone only)', positiveInt('--num-classes'))
    .option('--naming <scheme>', 'checkpoint key naming: timm | higherhrnet', 'timm')
    .option('--input-size <n>', 'fix the input to n x n (default: any size)', positiveInt('--input-size'))
    .option('--safetensors', 'also write <out>/weights.safetensors (PyTorch layout)')
    .option('--no-strict', 'report missing / unexpected keys as warnings instead of failing')
    .option('--force', 'write into an --out directory holding files of your own: replace only the model files, keep the rest')
    .action(async (opts: ConvertOptions) => convert(opts, io, deps));

  program
    .command('list')
    .description('list registered model names')
    .argument('[filter]', 'substring or glob with *')
    .action((filter?: string) => {
      for (const name of listModels(filter)) io.out(`${name}\n`);
    });

  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo, deps: CliDeps = {}): Promise<number> {
  const program = createProgram(
    { out: (s) => io.out(s.endsWith('\n') ? s : `${s}\n`), err: (s) => io.err(s.endsWith('\n') ? s : `${s}\n`) },
    deps,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed its message
    io.err(`hrnet: error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

const defaultIo: CliIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // PROD silences tfjs' console banners (e.g. the "install tfjs-node" notice) so only our lines are printed
  tf.env().set('PROD', true);
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
