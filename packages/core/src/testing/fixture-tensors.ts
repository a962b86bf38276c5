import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** One tensor of a reference fixture: raw little-endian float32, row-major, PyTorch layout. */
export interface FixtureTensor {
  file: string;
  shape: number[];
}

/**
 * Reads a raw little-endian float32 file. Copies out of Node's pooled buffer, whose `.buffer` is shared
 * by many small reads.
 */
export function readFloat32File(path: string, expectedLength?: number): Float32Array {
  const bytes = readFileSync(path);
  if (bytes.length % 4 !== 0) throw new Error(`${path}: ${bytes.length} bytes is not a whole number of float32 values`);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  if (expectedLength != null && data.length !== expectedLength) {
    throw new Error(`${path}: expected ${expectedLength} float32 values, found ${data.length}`);
  }
  return data;
}

/**
 * Loads a fixture tensor and converts it from PyTorch layout to ours: activations NCHW → NHWC,
 * conv weights OIHW → HWIO (`kind: 'conv-weight'`), linear weights [out, in] → [in, out].
 */
export function loadFixtureTensor(
  dir: string,
  t: FixtureTensor,
  kind: 'activation' | 'conv-weight' | 'linear-weight' = 'activation',
): tf.Tensor {
  const data = readFloat32File(join(dir, t.file), t.shape.reduce((a, b) => a * b, 1));
  return tf.tidy(() => {
    const x = tf.tensor(data, t.shape);
    if (kind === 'conv-weight') return x.transpose([2, 3, 1, 0]);
    if (kind === 'linear-weight') return x.transpose();
    return x.rank === 4 ? x.transpose([0, 2, 3, 1]) : x;
  });
}

/**
 * A fixture manifest's tensor map. Two layouts exist: `{ tensors: { key: { file, shape, ... } } }` (hrnet-cls)
 * and `{ files: { key: { file, dtype, shape, layout, ... } } }` (higherhrnet). Entries of `files` that are not
 * float32 tensors (int32 / uint8 data, JSON side files) are left out: the harness compares float32 only.
 */
export function readManifest(dir: string, file: string): Record<string, FixtureTensor> {
  const path = join(dir, file);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as {
    tensors?: Record<string, FixtureTensor>;
    files?: Record<string, Partial<FixtureTensor> & { dtype?: string }>;
  };
  if (manifest.tensors) return manifest.tensors;
  if (manifest.files) {
    const out: Record<string, FixtureTensor> = {};
    for (const [key, t] of Object.entries(manifest.files)) {
      if (typeof t?.file === 'string' && Array.isArray(t.shape) && (t.dtype ?? 'float32') === 'float32') out[key] = { file: t.file, shape: t.shape };
    }
    return out;
  }
  throw new Error(`${path}: neither a 'tensors' nor a 'files' map`);
}
