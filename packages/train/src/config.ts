import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** `optimizer:` section. `sgd`/`nesterov` are SGD with Nesterov momentum, `momentum` is without (timm's names). */
export const optimizerConfigSchema = z.strictObject({
  name: z.enum(['sgd', 'nesterov', 'momentum']).default('sgd'),
  lr: z.number().positive(),
  momentum: z.number().min(0).max(1).default(0.9),
  weight_decay: z.number().min(0).default(1e-4),
});

/** `scheduler:` section: cosine decay with linear warmup, in epochs (applied per step). */
export const schedulerConfigSchema = z.strictObject({
  name: z.enum(['cosine', 'constant']).default('cosine'),
  warmup_epochs: z.number().min(0).default(0),
  warmup_lr: z.number().min(0).default(0),
  min_lr: z.number().min(0).default(0),
});

/**
 * The task-independent part of a training config. Tasks add their own sections with
 * `trainConfigSchema.extend({ model: ..., data: ... })`; unknown keys are errors at every level.
 */
export const trainConfigSchema = z.strictObject({
  seed: z.number().int().default(0),
  epochs: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  optimizer: optimizerConfigSchema,
  scheduler: schedulerConfigSchema.prefault({}),
});

export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
export type TrainConfig = z.infer<typeof trainConfigSchema>;

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

/** Reads a YAML file and validates it against `schema` (default {@link trainConfigSchema}). */
export async function loadConfig<S extends z.ZodType = typeof trainConfigSchema>(path: string, schema?: S): Promise<z.infer<S>> {
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
  return parseConfig(data, (schema ?? trainConfigSchema) as S, path);
}
