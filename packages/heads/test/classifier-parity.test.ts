import { hrnetClsParitySpec } from '../../../test-utils/hrnet-cls-parity.js';
import { describeParity } from '../../../test-utils/parity-harness.js';
import { createClassifier } from '../src/index.js';

// timm HighResolutionNet (narrow head widths), random BN statistics; tolerance: 1e-4 of max |value|.
describeParity(hrnetClsParitySpec(createClassifier));
