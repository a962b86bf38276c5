import { z } from 'zod';

/** `options` parsed by `schema`, or one line naming `where`, the key and what was expected. */
export function parseOptions<S extends z.ZodType>(where: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new Error(`${where}: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}`);
  return parsed.data;
}
