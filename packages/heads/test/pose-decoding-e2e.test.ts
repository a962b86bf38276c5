import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend, loadPytorchWeights } from '@hrnet/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHigherHRNet, estimatePoses, posesToCocoResults } from '../src/index.js';
import { PIPELINE_DIR, maxAbsDiff, readJson, readU8 } from './pose-decoding-fixtures.js';

// estimatePoses with the real tiny PoseHigherResolutionNet (fixture weights) on the pipeline image, on wasm:
// the whole tools/valid.py flow in TF.js. Our network matches PyTorch to ~5e-6, and with those outputs the
// tie-heavy grouping of the random-weight model still reproduces the fixture's people (all 268 at the time
// of writing); the test requires 95% of them, position for position, so that a one-ulp backend difference
// flipping one tie does not fail it.
const MODEL_DIR = fileURLToPath(new URL('../../../fixtures/higherhrnet/model_tiny/', import.meta.url));
const m = readJson(`${PIPELINE_DIR}manifest.json`);
const [h, w] = m.image_hw as [number, number];

beforeAll(() => initBackend('wasm', { log: () => {} }));

describe('pose decoding: estimatePoses with the tiny HigherHRNet (wasm)', () => {
  it('reproduces the reference people and keeps the tensor count', async () => {
    const model = createHigherHRNet(JSON.parse(readFileSync(`${MODEL_DIR}config.json`, 'utf8')));
    try {
      await loadPytorchWeights(model, `${MODEL_DIR}weights.safetensors`, { naming: 'higherhrnet' });
      const image = { data: readU8(`${PIPELINE_DIR}image.bin`), width: w, height: h };
      const before = tf.memory().numTensors;
      const poses = await estimatePoses(model, image, { inputSize: m.input_size, flipTest: true });
      expect(tf.memory().numTensors).toBe(before);

      let same = 0;
      let maxErr = 0;
      poses.forEach((pose, i) => {
        const ref = m.final_preds_image_coords[i] as number[][] | undefined;
        if (!ref) return;
        const err = maxAbsDiff(pose.keypoints.flatMap((k) => [k.x, k.y, k.score]), ref.flatMap((r) => r.slice(0, 3)));
        if (err < 1e-3 && Math.abs(pose.score - m.scores[i]) < 1e-4) {
          same++;
          maxErr = Math.max(maxErr, err);
        }
      });
      console.info(`[pose-decoding e2e] ${poses.length} people (reference ${m.num_people}), ${same} equal to the reference (max |error| ${maxErr.toExponential(2)})`);
      expect(Math.abs(poses.length - m.num_people)).toBeLessThanOrEqual(Math.ceil(0.05 * m.num_people));
      expect(same).toBeGreaterThanOrEqual(Math.floor(0.95 * m.num_people));
      const coco = posesToCocoResults(poses, 7);
      expect(coco[0]!.keypoints.length).toBe(51);
      expect(coco[0]!.image_id).toBe(7);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
