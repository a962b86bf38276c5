import { higherHrnetTinyParitySpecs } from '../../../test-utils/higherhrnet-tiny-parity.js';
import { describeSkippedNative, loadNative } from '../../../test-utils/native.js';
import { describeParity, type ParityBackend } from '../../../test-utils/parity-harness.js';
import { createModel } from '../src/index.js';

// 'native' (oneDNN kernels on wasm, incl. the transposed convolution's) where the addon loads.
const native = await loadNative();
const backends: ParityBackend[] = native.available ? ['wasm', 'cpu', 'native'] : ['wasm', 'cpu'];
if (!native.available) describeSkippedNative('higherhrnet tiny parity with the PyTorch reference on native', native);

// cpu runs too: tfjs-backend-cpu's broken ResizeNearestNeighborGrad only affects gradients, not checked here
// (the fixture has none for this model). webgpu: webgpu-parity.test.ts.
for (const spec of higherHrnetTinyParitySpecs((config, opts) => createModel({ family: 'higher-hrnet', config }, opts))) describeParity(spec, backends);
