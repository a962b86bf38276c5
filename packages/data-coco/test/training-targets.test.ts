import { describe, expect, it } from 'vitest';
import { normalizeImage } from '@hrnet/core';
import { affineMatrix, resolvePipelineConfig, transformSample, validPixelMask, type AffineParams } from '../src/index.js';
import { f32, lossManifest, u8, type LossSample } from './loss-fixture.js';

const man = lossManifest();
const [H, W] = man.original_image_hw;
const J = 17;
const origImage = { data: u8('orig_image.bin'), width: W, height: H, channels: 3 };
const origJoints = f32('orig_joints.bin'); // [3, 17, 3]
const config = resolvePipelineConfig({ inputSize: man.config.INPUT_SIZE });
const sizes: number[] = man.config.OUTPUT_SIZE;

const params = (s: LossSample): AffineParams => ({
  center: s.center,
  scale: s.scale_200px_units,
  augScale: s.aug_scale,
  rotation: s.aug_rot_deg,
  translate: s.translate_dxdy,
  flip: s.flipped,
});

function jointsOf(persons: number[]): Float64Array {
  const out = new Float64Array(persons.length * J * 3);
  persons.forEach((p, k) => out.set(origJoints.subarray(p * J * 3, (p + 1) * J * 3), k * J * 3));
  return out;
}

// The fixture's ignore regions are two crowd rectangles; as COCO polygons they rasterise to the
// fixture's mask exactly.
const crowdAnnotations = man.crowd_rects_x0y0x1y1.map(([x0, y0, x1, y1]) => ({
  iscrowd: 1 as const,
  num_keypoints: 0,
  segmentation: [[x0, y0, x0, y1, x1, y1, x1, y0]],
}));

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// The targets drawn from these (heatmaps, joint indices) are the model family's: @hrnet/heads tests them against the
// same fixture.
describe('the sample pipeline equals the reference up to the targets (fixtures/higherhrnet/loss)', () => {
  const validMask = validPixelMask(crowdAnnotations, H, W);

  it('ignore mask of the crowd regions equals orig_valid_mask', () => {
    expect(Array.from(validMask)).toEqual(Array.from(f32('orig_valid_mask.bin')));
  });

  const masks = { 32: f32('target_masks_32.bin'), 64: f32('target_masks_64.bin') } as Record<number, Float32Array>;

  for (const [k, s] of man.samples.entries()) {
    describe(`sample ${s.name}${s.flipped ? ' (flipped)' : ''}, ${s.persons.length} people`, () => {
      const t = transformSample({ image: origImage, validMask, joints: jointsOf(s.persons), people: s.persons.length }, params(s), config, sizes);

      it('affine matrices', () => {
        expect(maxAbs(affineMatrix(params(s), 128), s.affine_input_128_2x3.flat())).toBeLessThan(1e-13);
        for (const r of [32, 64]) expect(maxAbs(affineMatrix(params(s), r), s.affine_output_2x3[r].flat())).toBeLessThan(1e-13);
      });

      it('joints at each output size (after the flip), within float32 rounding of the stored originals', () => {
        // orig_joints.bin holds the original joints rounded to float32; joints_out_* were computed
        // from the float64 values, hence 1e-5 rather than 1e-12.
        sizes.forEach((r, si) => {
          const exp = (r === 32 ? s.joints_out_32 : s.joints_out_64).flat(2);
          expect(maxAbs(t.sample.maps[si].joints, exp)).toBeLessThan(1e-5);
        });
      });

      it('warped input image: byte-identical to cv2.warpAffine (+ flip)', () => {
        expect(Buffer.from(t.warpedImage).equals(Buffer.from(u8(`${s.name}_input_image.bin`)))).toBe(true);
        expect(Array.from(t.sample.image.subarray(0, 30))).toEqual(Array.from(normalizeImage(t.warpedImage.subarray(0, 30))));
      });

      sizes.forEach((r, si) => {
        it(`loss mask at ${r}x${r}: exact`, () => {
          const n = r * r;
          expect(Array.from(t.sample.maps[si].mask)).toEqual(Array.from(masks[r].subarray(k * n, (k + 1) * n)));
        });
      });
    });
  }
});
