// Shared helpers of the pose-decoding tests: the repo copies of the HigherHRNet grouping / pipeline fixtures.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { planesFromNhwc, type Planes } from '../src/pose-common/planes.js';

export const GROUPING_DIR = fileURLToPath(new URL('../../../fixtures/higherhrnet/grouping/', import.meta.url));
export const PIPELINE_DIR = fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/pipeline/', import.meta.url));

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export function readU8(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** An NCHW fixture file of one image ([1, C, H, W]) as host planes (CHW is already the planar layout). */
export function planesFromNchwFile(path: string, shape: number[]): Planes {
  const [, c, h, w] = shape as [number, number, number, number];
  const data = readF32(path);
  if (data.length !== c * h * w) throw new Error(`${path}: ${data.length} values for ${shape}`);
  return { data, channels: c, height: h, width: w };
}

/** An NCHW fixture file as the NHWC tensor [1, H, W, C] our network emits. */
export function nhwcTensorFromNchwFile(path: string, shape: number[]): tf.Tensor4D {
  const [n, c, h, w] = shape as [number, number, number, number];
  return tf.tidy(() => tf.tensor4d(readF32(path), [n, c, h, w]).transpose([0, 2, 3, 1]));
}

/** Round trip used by tests that feed host planes through the NHWC path. */
export function planesViaNhwc(p: Planes): Planes {
  const hw = p.height * p.width;
  const nhwc = new Float32Array(p.data.length);
  for (let c = 0; c < p.channels; c++) for (let q = 0; q < hw; q++) nhwc[q * p.channels + c] = p.data[c * hw + q]!;
  return planesFromNhwc(nhwc, p.height, p.width, p.channels);
}

/** A fixture folder: its manifest.json, and the files it lists (`files[key]`: file name and NCHW shape) by key. */
export interface FixtureSet {
  manifest: any;
  planes(key: string): Planes;
  nhwc(key: string): tf.Tensor4D;
  f32(key: string): Float32Array;
  u8(key: string): Uint8Array;
}

export function openFixtures(dir: string): FixtureSet {
  const manifest = readJson(`${dir}manifest.json`);
  const entry = (key: string): { file: string; shape: number[] } => {
    const e = manifest.files[key];
    if (!e) throw new Error(`${dir}manifest.json lists no file '${key}'`);
    return e;
  };
  return {
    manifest,
    planes: (key) => planesFromNchwFile(dir + entry(key).file, entry(key).shape),
    nhwc: (key) => nhwcTensorFromNchwFile(dir + entry(key).file, entry(key).shape),
    f32: (key) => readF32(dir + entry(key).file),
    u8: (key) => readU8(dir + entry(key).file),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Max |a - b| over two nested number arrays of the same shape (people / rows). */
export function maxAbsDiffNested(a: number[][], b: number[][]): number {
  if (a.length !== b.length) throw new Error(`rows ${a.length} vs ${b.length}`);
  return Math.max(0, ...a.map((r, i) => maxAbsDiff(r, b[i]!)));
}

/** A person array (J x stride) as rows. */
export function personRows(person: Float32Array, numJoints = 17): number[][] {
  const stride = person.length / numJoints;
  return Array.from({ length: numJoints }, (_, j) => Array.from(person.subarray(j * stride, (j + 1) * stride)));
}
