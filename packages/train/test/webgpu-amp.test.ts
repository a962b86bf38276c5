/**
 * `--amp` on webgpu (lavapipe in CI): initBackend's `amp` turns core's f16 convolutions on where the adapter
 * has shader-f16, and the toy model then trains under the dynamic loss scaler (what `--amp` builds) with
 * its loss falling; without `amp` the float32 kernels come back. A scale whose gradients overflow f16 in the
 * backward convolutions is backed off by the scaler. Skipped, with the reason printed, where
 * no adapter exists or it lacks shader-f16.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend, listWebgpuAdapters, webgpuF16ConvolutionsEnabled, webgpuHasShaderF16 } from '@hrnet/core/backend';
import { describe, expect, it } from 'vitest';
import { describeSkippedWebgpu, loadWebgpu } from '../../../test-utils/webgpu.js';
import { createLossScaler, DynamicLossScaler, SGD, Trainer } from '../src/index.js';
import { crossEntropy, distToyModel, toyBatches, type ToyBatch } from './helpers.js';

const TITLE = '--amp on webgpu: f16 convolutions under dynamic loss scaling train the toy model';
const webgpu = await loadWebgpu(listWebgpuAdapters);
if (webgpu.available) await initBackend('webgpu', { log: () => {} });
const hasF16 = webgpu.available && webgpuHasShaderF16();

if (!hasF16) describeSkippedWebgpu(TITLE, webgpu.available ? { ...webgpu, reason: 'the WebGPU adapter lacks shader-f16', skipNote: ' [SKIPPED: the WebGPU adapter lacks shader-f16]' } : webgpu);
else
  describe(TITLE, () => {
    it('amp: one line, f16 kernels registered and used; 12 steps lower the loss; no amp: float32 again', async () => {
      const lines: string[] = [];
      await initBackend('webgpu', { amp: true, log: (l) => lines.push(l) });
      expect(lines[1]).toBe('[hrnet] amp: float16 convolutions and convolution gradients on webgpu (f16 tiles, f32 accumulation); other ops float32');
      expect(webgpuF16ConvolutionsEnabled()).toBe(true);

      const lossScaler = createLossScaler(undefined, { amp: true })!;
      const losses: number[] = [];
      const trainer = new Trainer<ToyBatch>({
        model: distToyModel(false),
        loss: crossEntropy,
        optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
        lossScaler,
        progress: 'none',
        onLog: (e) => {
          if (e.type === 'step') losses.push(e.loss);
        },
      });
      const batches = toyBatches(12, 8, 21);
      await trainer.fit(batches.slice(0, 6), { epochs: 1 });
      // Flat once the optimizer's momentum slots exist.
      const before = tf.memory().numTensors;
      await trainer.fit(batches.slice(6), { epochs: 1 });
      expect(tf.memory().numTensors).toBe(before);
      // The forward convolutions ran our f16 program (its pipeline is in the backend's cache).
      const cache = (tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache;
      expect(Object.keys(cache).some((k) => k.startsWith('hrnetConv2dF16'))).toBe(true);
      expect(losses).toHaveLength(12);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(`webgpu --amp toy: loss ${mean(losses.slice(0, 3)).toFixed(4)} (steps 1-3) -> ${mean(losses.slice(-3)).toFixed(4)} (steps 10-12); scale ${lossScaler.scale}`);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(mean(losses.slice(-3))).toBeLessThan(0.8 * mean(losses.slice(0, 3)));
      trainer.model.dispose();

      await initBackend('webgpu', { log: () => {} });
      expect(webgpuF16ConvolutionsEnabled()).toBe(false);
    });

    it('a loss scale whose output gradients overflow f16 (2^30) is skipped and halved until they fit; float32 kernels keep it', async () => {
      const run = async (amp: boolean) => {
        await initBackend('webgpu', { amp, log: () => {} });
        const scaler = new DynamicLossScaler({ initScale: 2 ** 30 });
        let skipped = 0;
        const trainer = new Trainer<ToyBatch>({
          model: distToyModel(false),
          loss: crossEntropy,
          optimizer: new SGD({ learningRate: 0.1, momentum: 0.9 }),
          lossScaler: scaler,
          progress: 'none',
          onLog: (e) => {
            if (e.type === 'step' && e.skipped) skipped++;
          },
        });
        await trainer.fit(toyBatches(16, 8, 5), { epochs: 1 });
        trainer.model.dispose();
        return { skipped, scale: scaler.scale };
      };
      const f16 = await run(true);
      const f32 = await run(false);
      console.log(`webgpu, initial loss scale 2^30: f16 convolutions skipped ${f16.skipped} steps (scale now 2^${Math.log2(f16.scale)}), float32 ${f32.skipped}`);
      expect(f16.skipped).toBeGreaterThan(0);
      expect(f16.skipped).toBeLessThan(16);
      expect(f16.scale).toBe(2 ** (30 - f16.skipped));
      expect(f32).toEqual({ skipped: 0, scale: 2 ** 30 });
    });
  });
