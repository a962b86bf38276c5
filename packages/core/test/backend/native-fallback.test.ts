/**
 * initBackend('native') and our training kernels together: the native kernels go over ours, registering
 * ours again leaves them in place, 'wasm' puts ours back, and what a native kernel does not handle reaches
 * our kernel (@hrnet/backend-native's own tests run over the stock tfjs-wasm kernels only).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeSkippedNative, loadNative } from '../../../../test-utils/native.js';
import { initBackend, registerWasmTrainingKernels, wasmTrainingKernelsRegistered } from '../../src/backend/index.js';

const native = await loadNative();
const TITLE = "initBackend('native'): native kernels over core's training kernels";

if (native.mod && native.available) {
  const { nativeKernelsRegistered, nativeKernelStats } = native.mod;
  const fallbacksSince = (before: ReturnType<typeof nativeKernelStats>, kernel: string) =>
    (nativeKernelStats()[kernel]?.fallback ?? 0) - (before[kernel]?.fallback ?? 0);

  describe(TITLE, () => {
    it("registers them over ours; registering ours again leaves them; 'wasm' puts ours back", async () => {
      const lines: string[] = [];
      expect(await initBackend('native', { log: (m) => lines.push(m) })).toBe('wasm');
      expect(lines[0]).toMatch(/backend: wasm \+ native \(oneDNN .* kernels, \d+ threads?, .*training kernels registered\)/);
      expect(nativeKernelsRegistered()).toBe(true);
      // A native kernel that replaced one of ours carries our marker, so ours count as registered...
      expect(wasmTrainingKernelsRegistered()).toBe(true);
      // ...and registering ours again (as code that calls registerWasmTrainingKernels() itself does) keeps the native ones.
      registerWasmTrainingKernels();
      expect(nativeKernelsRegistered()).toBe(true);

      await initBackend('wasm', { log: () => {} });
      expect(nativeKernelsRegistered()).toBe(false);
      expect(wasmTrainingKernelsRegistered()).toBe(true);
      await initBackend('native', { log: () => {} });
      expect(nativeKernelsRegistered()).toBe(true);
    });

    it('a call the native kernel hands on reaches our kernel (DepthwiseConv2dNativeBackpropFilter with an empty filter: stock wasm has none)', async () => {
      await initBackend('native', { log: () => {} });
      const before = nativeKernelStats();
      const x = tf.ones([1, 5, 5, 2]);
      const dy = tf.ones([1, 5, 5, 0]);
      // Channel multiplier 0: the native kernel leaves empty filters to its fallback.
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 2, 0] };
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, attrs) as tf.Tensor;
      expect(fallbacksSince(before, 'DepthwiseConv2dNativeBackpropFilter')).toBe(1);
      expect(dw.shape).toEqual([3, 3, 2, 0]);
      tf.dispose([x, dy, dw]);
    });
  });
} else {
  describeSkippedNative(TITLE, native);
}
