import { afterAll, expect } from 'vitest';
import { hrnetClsParitySpec } from '../../../test-utils/hrnet-cls-parity.js';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeParity } from '../../../test-utils/parity-harness.js';
import { createModel } from '../src/index.js';

// timm HighResolutionNet (narrow head widths), random BN statistics; tolerance: 1e-4 of max |value|.
// 'native': @hrnet/backend-native's oneDNN kernels on wasm (initBackend('native')), where its addon loads.
const native = await loadNative();
// Built through the one factory, as users do: createModel({ family: 'classification', config }, opts).
const spec = hrnetClsParitySpec((config, opts) => createModel({ family: 'classification', config }, opts));

if (native.mod && native.available) {
  const { nativeKernelStats } = native.mod;
  afterAll(() => {
    // The convolutions and the classifier's matmul really ran on oneDNN (only 'native' counts: plain
    // wasm runs without the native kernels).
    const stats = nativeKernelStats();
    for (const k of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul']) expect(stats[k]?.native ?? 0, `${k} ran natively`).toBeGreaterThan(0);
  });
  describeParity(spec, ['cpu', 'wasm', 'native']);
} else {
  describeParity(spec, ['cpu', 'wasm']);
  describeSkippedNative(`${spec.family} parity with the PyTorch reference on native`, native);
}
