import { LEGACY_CHECKPOINT_HELP, decodePytorchCheckpoint, isLegacyTorchFile, isZip } from './pytorch-checkpoint.js';
import { decodeSafetensors } from './safetensors.js';
import { describeSource, readInput, stripCommonPrefix, type StateDict } from './state-dict.js';

export type WeightsFormat = 'pytorch' | 'safetensors';

export interface WeightsFile {
  format: WeightsFormat;
  /** File name (or the `source` label of bytes), for messages. */
  source: string;
  tensors: StateDict;
}

export interface ReadWeightsOptions {
  source?: string;
  /** PyTorch checkpoints: top-level key holding the state dict (see readPytorchCheckpoint). */
  key?: string;
}

/**
 * Reads a PyTorch zip checkpoint or a safetensors file, telling them apart by their first bytes
 * ('PK' zip magic / u64 header length followed by '{'), not by the file extension.
 */
export async function readWeights(fileOrBytes: string | Uint8Array, opts: ReadWeightsOptions = {}): Promise<WeightsFile> {
  const bytes = await readInput(fileOrBytes);
  const source = describeSource(fileOrBytes, opts.source);
  return decodeWeights(bytes, source, opts);
}

export function decodeWeights(bytes: Uint8Array, source: string, opts: Pick<ReadWeightsOptions, 'key'> = {}): WeightsFile {
  if (isZip(bytes)) return { format: 'pytorch', source, tensors: decodePytorchCheckpoint(bytes, source, opts) };
  const looksSafetensors = bytes.length >= 9 && bytes[8] === 0x7b; // '{' right after the header length
  if (looksSafetensors || (/\.safetensors$/i.test(source) && !isLegacyTorchFile(bytes))) {
    return { format: 'safetensors', source, tensors: stripCommonPrefix(decodeSafetensors(bytes, source).tensors, 'module.') };
  }
  if (isLegacyTorchFile(bytes)) {
    throw new Error(`${source}: legacy (pre-1.6, non-zip) PyTorch checkpoint, which is not supported. ${LEGACY_CHECKPOINT_HELP}`);
  }
  const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(
    `${source}: unrecognised weights format: neither a PyTorch zip checkpoint (.pth/.pt, starts with 'PK') ` +
      `nor safetensors (${bytes.length} bytes, first bytes: ${head || 'none'})`,
  );
}
