import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CocoFormatError, issuesFromZod } from './coco-format-error.js';
import { readJsonFile } from './read-json-file.js';
import { numberArray } from './zod-number-array.js';

/**
 * One detected person in the COCO results format, as the reference pose code writes it:
 * `keypoints` is `[x, y, score] x K`, `bbox` (optional) is `[x, y, w, h]`.
 */
export const cocoKeypointResultSchema = z.looseObject({
  image_id: z.int(),
  category_id: z.int(),
  keypoints: numberArray().superRefine((kps, ctx) => {
      if (kps.length === 0 || kps.length % 3 !== 0) {
        ctx.addIssue({ code: 'custom', message: `expected 3 numbers per keypoint, got ${kps.length}` });
      }
    }),
  score: z.number(),
  bbox: z.union([z.tuple([z.number(), z.number(), z.number(), z.number()]), z.tuple([])]).optional(),
});

export const cocoKeypointResultsSchema = z.array(cocoKeypointResultSchema);

export type CocoKeypointResult = z.infer<typeof cocoKeypointResultSchema>;

/** Validates a results array (structure only; the ground truth is checked at evaluation). */
export function parseCocoResults(json: unknown, source = '<memory>'): CocoKeypointResult[] {
  if (!Array.isArray(json)) {
    throw new CocoFormatError(source, [{ path: '', message: 'expected a JSON array of results' }]);
  }
  const parsed = cocoKeypointResultsSchema.safeParse(json);
  if (!parsed.success) throw new CocoFormatError(source, issuesFromZod(parsed.error, json, 'results'));
  return parsed.data;
}

/** Reads and validates a COCO keypoint results file. */
export async function loadCocoResults(file: string): Promise<CocoKeypointResult[]> {
  return parseCocoResults(await readJsonFile(file), file);
}

/**
 * Writes results in the COCO results format (a JSON array). The file appears complete or not
 * at all: the JSON goes to a temporary file in the same folder, is flushed, then renamed.
 */
export async function writeCocoResults(file: string, results: readonly CocoKeypointResult[]): Promise<void> {
  parseCocoResults(results, file);
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx');
  try {
    try {
      await handle.writeFile(JSON.stringify(results));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
