/**
 * This directory's backend gradient checks (wasm against cpu for conv2d, conv2dTranspose, depthwise,
 * BatchNorm, pooling, resize, matmul, reductions) run again with @hrnet/backend-native's oneDNN kernels
 * registered over our training kernels, as initBackend('native') does, so each of them exercises oneDNN
 * where a native kernel exists (and our kernels where the native one hands the call on).
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { describeSkippedNative, loadNative } from '../../../../test-utils/native.js';
import { initBackend } from '../../src/index.js';

const native = await loadNative();
const TITLE = "core's backend checks on the native kernels";

if (native.mod && native.available) {
  const { nativeKernelStats, resetNativeKernelStats } = native.mod;
  // Registered before the imported files' own `beforeAll(setupBackends)`, so it runs first. Their
  // registerWasmTrainingKernels() then leaves the native kernels in place: a native kernel that replaces
  // one of ours keeps our marker, so ours count as registered.
  beforeAll(async () => {
    await initBackend('native', { log: () => {} });
    resetNativeKernelStats();
  });
  await import('./conv2d-grad.test.js');
  await import('./depthwise-grad.test.js');
  await import('./misc-grad.test.js');
  afterAll(() => {
    const stats = nativeKernelStats();
    console.log(`native kernel calls during core's checks: ${JSON.stringify(stats)}`);
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'BatchMatMul']) {
      expect(stats[k]?.native ?? 0, `${k} ran natively`).toBeGreaterThan(0);
    }
  });
} else {
  describeSkippedNative(TITLE, native);
}
