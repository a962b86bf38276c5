/**
 * The HRNet classifier's PyTorch parity fixture (outputs, every stored activation, train-mode outputs,
 * running statistics, gradients in train and eval mode) on the native backend, at the tolerance wasm and
 * cpu meet. The spec is the one the heads test uses (test-utils/hrnet-cls-parity.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClassifier } from '@hrnet/heads';
import { hrnetClsParitySpec } from '../../../test-utils/hrnet-cls-parity.js';
import { describeParity } from '../../../test-utils/parity-harness.js';
import { nativeKernelStats } from '../src/index.js';
import { skipNote, status } from './helpers.js';

if (status.available) {
  afterAll(() => {
    // The convolutions and the classifier's matmul really ran on oneDNN.
    const stats = nativeKernelStats();
    for (const k of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul']) expect(stats[k]?.native ?? 0, k).toBeGreaterThan(0);
  });
  describeParity(hrnetClsParitySpec(createClassifier), ['native']);
} else {
  describe.skip(`hrnet-cls tiny parity on native${skipNote}`, () => {
    it('needs the addon', () => {});
  });
}
