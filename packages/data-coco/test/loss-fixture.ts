import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repo-level `fixtures/higherhrnet/loss/` (a copy of the shared HigherHRNet loss fixtures). */
export const LOSS_FIXTURES = fileURLToPath(new URL('../../../fixtures/higherhrnet/loss/', import.meta.url));

export interface LossSample {
  name: string;
  persons: number[];
  aug_scale: number;
  aug_rot_deg: number;
  translate_dxdy: [number, number];
  center: [number, number];
  scale_200px_units: number;
  flipped: boolean;
  affine_input_128_2x3: number[][];
  affine_output_2x3: Record<string, number[][]>;
  joints_out_32: number[][][];
  joints_out_64: number[][][];
}

export interface LossManifest {
  config: { INPUT_SIZE: number; OUTPUT_SIZE: number[]; SIGMA: number; MAX_NUM_PEOPLE: number; flip_index: number[] };
  original_image_hw: [number, number];
  crowd_rects_x0y0x1y1: number[][];
  boxes_xywh: number[][];
  samples: LossSample[];
}

export const lossManifest = (): LossManifest => JSON.parse(readFileSync(LOSS_FIXTURES + 'manifest.json', 'utf8'));

function bytes(name: string): Buffer {
  return readFileSync(LOSS_FIXTURES + name);
}

export const u8 = (name: string) => new Uint8Array(bytes(name));
export const f32 = (name: string) => {
  const b = bytes(name);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
