import { exportPytorchStateDict, resolveNaming, saveModelToDir, writeSafetensors } from '@hrnet/core';
import { loadModelSource, warnLoadReport, type ModelSourceOptions } from './model-source.js';
import type { CliIo } from './program.js';

/** `hrnet convert`'s options, as commander parses them. */
export interface ConvertOptions extends ModelSourceOptions {
  out: string;
  safetensors?: boolean;
  force?: boolean;
}

/** `hrnet convert`: builds the network the checkpoint describes, loads it, writes a tfjs model directory. */
export async function convert(opts: ConvertOptions, io: CliIo): Promise<void> {
  const loaded = await loadModelSource(opts);
  const { model, summary, naming } = loaded;
  try {
    warnLoadReport(loaded, io);
    const extraFiles: Record<string, Uint8Array> = {};
    if (opts.safetensors) {
      extraFiles['weights.safetensors'] = writeSafetensors(exportPytorchStateDict(model, { naming: resolveNaming(naming) }), {
        metadata: { format: 'pt', source: opts.weights ?? opts.model },
      });
    }
    await saveModelToDir(model, opts.out, { extraFiles, force: opts.force });
    io.out(`converted ${summary}: ${opts.out}/model.json + weights.bin${opts.safetensors ? ' + weights.safetensors' : ''}`);
  } finally {
    model.dispose();
  }
}
