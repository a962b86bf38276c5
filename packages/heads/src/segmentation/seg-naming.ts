import { listNamings, registerNaming, type NamingScheme } from '@hrnet/core';

/**
 * State-dict names of HRNet-Semantic-Segmentation checkpoints: seg_hrnet's module paths (our layer names).
 * Its training script saves the `FullModel` wrapper, so keys may start with `model.` (and `module.` under
 * DataParallel); the wrapper's `loss.*` buffers (the criterion's class weights) are not network parameters.
 */
export const HRNET_SEG_NAMING: NamingScheme = {
  key: (layer, param) => `${layer}.${param}`,
  checkpointKey: (key) => {
    let k = key.startsWith('module.') ? key.slice('module.'.length) : key;
    if (k.startsWith('model.')) k = k.slice('model.'.length);
    return k.startsWith('loss.') ? null : k;
  },
};

/** Makes `naming: 'hrnet-seg'` available to loadPytorchWeights (idempotent). */
export function registerSegNaming(): void {
  if (!listNamings().includes('hrnet-seg')) registerNaming('hrnet-seg', HRNET_SEG_NAMING);
}
