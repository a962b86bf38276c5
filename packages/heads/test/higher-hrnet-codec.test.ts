import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeypointSample } from '@hrnet/core';
import { describe, expect, it } from 'vitest';
import { generateHeatmaps } from '../src/higher-hrnet/heatmap-target.js';
import { generateJointIndices } from '../src/higher-hrnet/joints-target.js';
import { createHigherHrnetEncoder } from '../src/higher-hrnet/target-encoder.js';
import { HigherHrnetCodec } from '../src/index.js';

// fixtures/higherhrnet/loss: the reference's HeatmapGenerator / ScaleAwareHeatmapGenerator / JointsGenerator outputs
// for augmented samples of a 17-joint image, with the joints at each output size (after affine and flip) and masks.
const dir = fileURLToPath(new URL('../../../fixtures/higherhrnet/loss/', import.meta.url));
const man = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8'));
const read = (name: string) => {
  const b = readFileSync(dir + name);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const f32 = (name: string) => new Float32Array(read(name));
const i32 = (name: string) => new Int32Array(read(name));
const J = 17;
const sizes: number[] = man.config.OUTPUT_SIZE;
const targets = { ...HigherHrnetCodec.fromPreset('higherhrnet_w32_512').targets, outputSizes: sizes, heatmapLayout: 'JHW' as const };

/** The sample the data pipeline would hand the encoder: the reference's joints and masks at each output size. */
function sampleOf(s: (typeof man.samples)[number], k: number): KeypointSample {
  const masks: Record<number, Float32Array> = { 32: f32('target_masks_32.bin'), 64: f32('target_masks_64.bin') };
  return {
    image: new Float32Array(0),
    inputSize: man.config.INPUT_SIZE,
    numJoints: J,
    people: s.persons.length,
    maps: sizes.map((r) => ({
      size: r,
      mask: Uint8Array.from(masks[r].subarray(k * r * r, (k + 1) * r * r)),
      joints: Float64Array.from((r === 32 ? s.joints_out_32 : s.joints_out_64).flat(2) as number[]),
    })),
    boxes: s.persons.map((p: number) => man.boxes_xywh[p]),
    augScale: s.aug_scale,
  };
}

describe('HigherHRNet codec: encode equals the reference target generators (fixtures/higherhrnet/loss)', () => {
  const heat: Record<number, Float32Array> = { 32: f32('target_heatmaps_32.bin'), 64: f32('target_heatmaps_64.bin') };
  const joints: Record<number, Int32Array> = { 32: i32('target_joints_32.bin'), 64: i32('target_joints_64.bin') };
  const codec = new HigherHrnetCodec(targets);

  for (const [k, s] of man.samples.entries()) {
    it(`sample ${s.name}${s.flipped ? ' (flipped)' : ''}: heatmaps bit-identical, joint indices and masks exact at ${sizes.join(' and ')}`, () => {
      const out = codec.encode(sampleOf(s, k));
      sizes.forEach((r, si) => {
        const n = r * r;
        expect(out.heatmaps[si].shape).toEqual([J, r, r]);
        expect(Buffer.from(out.heatmaps[si].data.buffer).equals(Buffer.from(heat[r].slice(k * J * n, (k + 1) * J * n).buffer))).toBe(true);
        expect(Array.from(out.joints[si].data)).toEqual(Array.from(joints[r].subarray(k * 30 * J * 2, (k + 1) * 30 * J * 2)));
        expect(Array.from(out.masks[si].data)).toEqual(Array.from(sampleOf(s, k).maps[si].mask));
      });
    });
  }

  it('scale-aware sigma (bbox / 256 * 2 / aug_scale): ScaleAwareHeatmapGenerator on sample s0 at 32x32, bit-identical', () => {
    const s = man.samples[0];
    const sample = sampleOf(s, 0);
    const out = new HigherHrnetCodec({ ...targets, outputSizes: [32], scaleAwareSigma: true }).encode({ ...sample, maps: [sample.maps[0]] });
    expect(Buffer.from(out.heatmaps[0].data.buffer).equals(Buffer.from(f32('scale_aware_heatmaps_s0_32.bin').buffer))).toBe(true);
  });

  it('channels-last heatmaps (the default, the model layout) are the transpose; the worker-side encoder is the same', () => {
    const s = man.samples[1];
    const jhw = codec.encode(sampleOf(s, 1)).heatmaps[0];
    const hwj = HigherHrnetCodec.fromPreset('higherhrnet_w32_512', { outputSizes: sizes }).encode(sampleOf(s, 1)).heatmaps[0];
    expect(hwj.shape).toEqual([32, 32, J]);
    for (const [y, x, j] of [[5, 7, 9], [16, 16, 0], [31, 0, 16]]) expect(hwj.data[(y * 32 + x) * J + j]).toBe(jhw.data[(j * 32 + y) * 32 + x]);
    expect(createHigherHrnetEncoder(codec.targets as never).encode(sampleOf(s, 1))).toEqual(codec.encode(sampleOf(s, 1)));
    const ref = codec.encoderRef;
    expect([ref.exportName, ref.options]).toEqual(['createHigherHrnetEncoder', codec.targets]);
    expect(ref.module).toMatch(/target-encoder\.ts$/);
  });

  it('rejects samples whose maps do not match the output sizes, naming both', () => {
    const sample = sampleOf(man.samples[0], 0);
    expect(() => codec.encode({ ...sample, maps: [sample.maps[1]] })).toThrow(/maps of 64 px, the config 32\/64/);
  });

  it('heatmaps: truncated position, square 15x15 patch clipped at the border, max over people', () => {
    const j = new Float64Array(2 * 17 * 3);
    j.set([-0.5, 3.9, 2], 0); // x = int(-0.5) = 0: still inside
    j.set([1.2, 3.2, 2], 17 * 3); // second person's nose at pixel (1, 3)
    j.set([5, 5, 0], 3); // unlabelled
    const hm = generateHeatmaps(j, 2, 17, 16);
    expect(hm[3 * 16 + 0]).toBe(1);
    expect(hm[3 * 16 + 1]).toBe(1);
    // x = 8 lies outside the patch around (0, 3) and on the edge (7 px) of the one around (1, 3).
    expect(hm[3 * 16 + 8]).toBe(Math.fround(Math.exp(-49 / 8)));
    expect(hm[3 * 16 + 9]).toBe(0);
    expect(hm.subarray(16 * 16, 2 * 16 * 16).every((v) => v === 0)).toBe(true);
    const idx = generateJointIndices(j, 2, 17, 16);
    expect(Array.from(idx.subarray(0, 4))).toEqual([3 * 16 + 0, 1, 0, 0]);
    expect(Array.from(idx.subarray(34, 36))).toEqual([3 * 16 + 1, 1]);
  });
});
