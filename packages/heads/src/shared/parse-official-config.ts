import type { z } from 'zod';

/**
 * Validates an official (upper-case, yaml) config block; the error lists every offending key path, unknown keys
 * by their full path (zod reports them on the parent object).
 */
export function parseOfficialConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const path = i.path.join('.') || '(root)';
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => `  ${i.path.length ? `${path}.` : ''}${k}: unknown key`).join('\n');
    return `  ${path}: ${i.message}`;
  });
  throw new Error(`invalid ${source}:\n${lines.join('\n')}`);
}
