import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ConfigOverride } from './cli-args.js';
import { applyConfigOverrides } from './config-overrides.js';

/**
 * `optimizer:` section. `sgd`/`nesterov` are SGD with Nesterov momentum, `momentum` is without (timm's
 * names); `rmsprop` is MindSpore's RMSProp; `adam`/`adamw` are torch's.
 */
export const optimizerConfigSchema = z.strictObject({
  name: z.enum(['sgd', 'nesterov', 'momentum', 'rmsprop', 'adam', 'adamw']).default('sgd'),
  lr: z.number().positive(),
  /** SGD momentum / RMSProp β. */
  momentum: z.number().min(0).max(1).default(0.9),
  weight_decay: z.number().min(0).default(1e-4),
  /** Which parameters are decayed: `rank2` (timm/MindCV filter_bias_and_bn), `mindspore` (all but BN gamma/beta), `all`. */
  weight_decay_filter: z.enum(['rank2', 'mindspore', 'all']).default('rank2'),
  /** ε: RMSProp default 1e-10 (MindSpore), Adam/AdamW default 1e-8 (torch). */
  eps: z.number().positive().optional(),
  /** RMSProp ρ (MindSpore `decay`). */
  decay: z.number().min(0).max(1).default(0.9),
  /** Adam/AdamW (β1, β2). */
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  /** Gradient clipping threshold (timm `clip_grad`); off when absent. */
  clip_grad: z.number().positive().optional(),
  /** timm `clip_mode`: global L2 norm or per-value. */
  clip_mode: z.enum(['norm', 'value']).default('norm'),
});

/** `scheduler:` section, in epochs (see `epochSchedule`). */
export const schedulerConfigSchema = z.strictObject({
  name: z.enum(['cosine', 'linear', 'step', 'multistep', 'constant']).default('cosine'),
  warmup_epochs: z.number().min(0).default(0),
  /** Rate at the start of the warmup (MindSpore `lr_init`). */
  warmup_lr: z.number().min(0).default(0),
  /** cosine floor / linear end (MindSpore `lr_end`). */
  min_lr: z.number().min(0).default(0),
  /** Decay starts after the warmup (MindSpore, MindCV) instead of under it (timm). */
  warmup_prefix: z.boolean().default(false),
  /** Length of the cosine/linear decay in epochs (MindCV `decay_epochs`). */
  decay_epochs: z.number().positive().optional(),
  /** step: epochs between decays (timm `decay_epochs`). */
  step_size: z.number().positive().optional(),
  /** step/multistep factor (timm `decay_rate`). */
  gamma: z.number().positive().default(0.1),
  milestones: z.array(z.number().min(0)).optional(),
  /** Update the rate every step (true) or once per epoch (timm's default without `--sched-on-updates`). */
  per_step: z.boolean().default(true),
});

/** `loss_scale:` section (MindSpore `loss_scale`, `FixedLossScaleManager` / `DynamicLossScaleManager`). */
export const lossScaleConfigSchema = z.strictObject({
  /** `--amp` turns on `dynamic`. */
  type: z.enum(['none', 'static', 'dynamic']).default('none'),
  /** static: the scale (MindSpore recipe 1024); dynamic: the initial scale (default 2^16). */
  scale: z.number().positive().optional(),
  /** static: skip updates with inf/NaN gradients. */
  drop_overflow_update: z.boolean().default(false),
  /** dynamic: finite steps before the scale doubles. */
  growth_interval: z.number().int().positive().default(2000),
});

/** `checkpoint:` section. */
export const checkpointConfigSchema = z.strictObject({
  /** Output folder (MindCV `ckpt_save_dir`); `--ckpt_save_dir` overrides. No checkpoints when absent. */
  dir: z.string().optional(),
  /** Epoch checkpoints kept (MindSpore `keep_checkpoint_max`). */
  keep_max: z.number().int().positive().default(10),
  /** Save every N epochs (MindSpore `save_checkpoint_epochs`). */
  every: z.number().int().positive().default(1),
  /** Evaluation metric that picks `ckpt-best` ('loss', 'top1', ...). */
  best_metric: z.string().optional(),
});

/**
 * Samples per forward/backward pass: `auto` (the batch, halved while the backend runs out of memory; remembered)
 * or a number. The batch (`batch_size`, HigherHRNet's `TRAIN.IMAGES_PER_GPU`) stays the recipe's: its
 * micro-batches' gradients are accumulated into one optimizer step (see the Trainer's `microBatch`).
 */
export const microBatchConfigSchema = z.union([z.literal('auto'), z.number().int().positive()], { error: "expected 'auto' or a positive integer" }).default('auto');

/**
 * The task-independent part of a training config. Tasks add their own sections with
 * `trainConfigSchema.extend({ model: ..., data: ... })`; unknown keys are errors at every level.
 */
export const trainConfigSchema = z.strictObject({
  seed: z.number().int().default(0),
  epochs: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  /** Gradient accumulation: samples per forward/backward pass (see {@link microBatchConfigSchema}). */
  micro_batch: microBatchConfigSchema,
  optimizer: optimizerConfigSchema,
  scheduler: schedulerConfigSchema.prefault({}),
  loss_scale: lossScaleConfigSchema.prefault({}),
  checkpoint: checkpointConfigSchema.prefault({}),
  /** Evaluate every N epochs (MindSpore `eval_interval`). */
  eval_interval: z.number().int().positive().default(1),
  /** JSONL file receiving every step/epoch/eval record. */
  metrics_log: z.string().optional(),
});

export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
/** A scheduler section before defaults are filled in. */
export type SchedulerConfigInput = z.input<typeof schedulerConfigSchema>;
/** An optimizer section before defaults are filled in. */
export type OptimizerConfigInput = z.input<typeof optimizerConfigSchema>;
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type LossScaleConfig = z.infer<typeof lossScaleConfigSchema>;
export type CheckpointConfig = z.infer<typeof checkpointConfigSchema>;

/** A config that failed to parse or validate; the message names the source and every bad key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const keyPath = (path: readonly PropertyKey[]) => path.map(String).join('.');

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = keyPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `unknown key '${at ? `${at}.${k}` : k}'`).join('; ');
    }
    return `${at ? `'${at}'` : 'config'}: ${issue.message}`;
  });
}

/** Validates a parsed config object; `source` (e.g. the file name) prefixes the error. */
export function parseConfig<S extends z.ZodType>(data: unknown, schema: S, source = 'config'): z.infer<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success) throw new ConfigError(`${source}: ${describeIssues(result.error).join('; ')}`);
  return result.data;
}

/** How {@link loadConfig} reads a file beyond its YAML. */
export interface LoadConfigOptions {
  /** Keys set on the command line (`parseTrainArgs`' overrides), applied to the document before `translate`. */
  overrides?: readonly ConfigOverride[];
  /** Turns another format's document (e.g. MindCV's flat yaml) into the schema's; throws ConfigError. */
  translate?: (doc: unknown, source: string) => unknown;
}

/** Reads a YAML file and validates it against `schema` (default {@link trainConfigSchema}). */
export async function loadConfig<S extends z.ZodType = typeof trainConfigSchema>(path: string, schema?: S, options: LoadConfigOptions = {}): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const overrides = options.overrides ?? [];
  const source = overrides.length ? `${path} with ${overrides.map((o) => o.given).join(' ')}` : path;
  if (overrides.length) data = applyConfigOverrides(data, overrides, source);
  if (options.translate) data = options.translate(data, source);
  return parseConfig(data, (schema ?? trainConfigSchema) as S, source);
}

/** A config's name (its file name without extension), as the official output folders use it (`output/…/<name>`, MMPose's `work_dirs/<name>`). */
export function configName(file: string): string {
  return basename(file, extname(file));
}
