import { exportModelFile } from '@hrnet/deploy';
import { loadModelSource, warnLoadReport, type ModelSourceOptions } from './model-source.js';
import type { CliIo } from './program.js';

/** `hrnet export`'s options, as commander parses them. */
export interface ExportOptions extends ModelSourceOptions {
  format: 'onnx';
  out: string;
  inputLayout: 'NCHW' | 'NHWC';
  opset?: number;
}

/** `hrnet export`: loads the model as `hrnet convert` does and writes it as one ONNX file (atomically). */
export async function exportModel(opts: ExportOptions, io: CliIo): Promise<void> {
  const loaded = await loadModelSource(opts);
  const { model, summary } = loaded;
  try {
    warnLoadReport(loaded, io);
    const { bytes } = await exportModelFile({ model, out: opts.out, format: opts.format, inputLayout: opts.inputLayout, ...(opts.opset != null && { opset: opts.opset }) });
    io.out(`exported ${summary} to ${opts.format.toUpperCase()} (${opts.inputLayout} input, ${(bytes / 2 ** 20).toFixed(1)} MiB): ${opts.out}`);
  } finally {
    model.dispose();
  }
}
