import type * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '@hrnet/core';
import { z } from 'zod';
import { exportOnnx, exportOnnxOptionsSchema } from './export-onnx.js';
import { parseOptions } from './parse-options.js';

const exportModelFileSchema = exportOnnxOptionsSchema.extend({
  out: z.string().min(1),
  format: z.enum(['onnx']),
  inputLayout: exportOnnxOptionsSchema.shape.inputLayout.default('NHWC'),
});

export type ExportModelFileOptions = { model: tf.LayersModel } & z.input<typeof exportModelFileSchema>;

/**
 * Exports `model` to the file `out` in `format` (ONNX, input layout NHWC unless given), atomically: a temp file
 * next to `out`, then a rename, so an existing file is replaced whole or not at all. What `hrnet export` calls.
 */
export async function exportModelFile(options: ExportModelFileOptions): Promise<{ path: string; bytes: number }> {
  const { model, ...rest } = options;
  const { out, inputLayout, opset } = parseOptions('exportModelFile', exportModelFileSchema, rest);
  const bytes = exportOnnx(model, { inputLayout, opset });
  await writeFileAtomic(out, bytes);
  return { path: out, bytes: bytes.length };
}
