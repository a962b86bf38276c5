import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KeypointEncoder, KeypointEncoderRef } from '@hrnet/core';

/**
 * The encoder a {@link KeypointEncoderRef} names: `(await import(module))[exportName](options)`. The same call
 * builds it in this thread and in every sample worker, so workers need nothing but the plain-data ref. A `.ts`
 * module (a family's sources, in tests) is imported through tsx's `tsImport`.
 */
export async function loadKeypointEncoder(ref: KeypointEncoderRef): Promise<KeypointEncoder> {
  const mod = (ref.module.endsWith('.ts') ? await importTs(ref.module) : await import(ref.module)) as Record<string, unknown>;
  const factory = mod[ref.exportName];
  if (typeof factory !== 'function') throw new Error(`encoder module ${ref.module} has no function export '${ref.exportName}'`);
  const encoder = factory(ref.options) as KeypointEncoder;
  if (typeof encoder?.encode !== 'function' || !Array.isArray(encoder.targetSizes)) {
    throw new Error(`${ref.module}#${ref.exportName} did not return an encoder ({ targetSizes, encode })`);
  }
  return encoder;
}

async function importTs(url: string): Promise<unknown> {
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = (await import(pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href)) as { tsImport: (u: string, parent: string) => Promise<unknown> };
  return api.tsImport(url, import.meta.url);
}
