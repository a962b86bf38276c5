/**
 * @hrnet/core's own backend checks (packages/core/test/backend: wasm gradients against cpu for conv2d,
 * conv2dTranspose, depthwise, BatchNorm, pooling, resize, matmul, reductions) run again here with the
 * native kernels registered over core's, so each of them exercises oneDNN where a native kernel exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeKernelStats, resetNativeKernelStats } from '../src/index.js';
import { setupNative, skipNote, status } from './helpers.js';

if (status.available) {
  // Core's training kernels, then ours (which keep core's marker, so core's own setup leaves them in place).
  beforeAll(async () => {
    await setupNative();
    resetNativeKernelStats();
  });
  await import('../../core/test/backend/conv2d-grad.test.js');
  await import('../../core/test/backend/depthwise-grad.test.js');
  await import('../../core/test/backend/misc-grad.test.js');
  afterAll(() => {
    const stats = nativeKernelStats();
    console.log(`native kernel calls during core's checks: ${JSON.stringify(stats)}`);
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'BatchMatMul']) {
      expect(stats[k]?.native ?? 0, `${k} ran natively`).toBeGreaterThan(0);
    }
  });
} else {
  describe.skip(`core backend checks on the native kernels${skipNote}`, () => {
    it('needs the addon', () => {});
  });
}
