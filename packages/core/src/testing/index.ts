/**
 * `@hrnet/core/testing`: the pieces of the parity harness every model family's tests share
 * (reading reference fixtures, layout conversion, tolerance checks, intermediate probes).
 */
export { loadFixtureTensor, readFloat32File, readManifest, type FixtureTensor } from './fixture-tensors.js';
export { assertClose, assertCloseAsync, maxRelativeError } from './compare.js';
export { probeModel } from './probe-model.js';
