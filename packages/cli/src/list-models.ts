import { filterModelNames, listModels } from '@hrnet/core';
import { listHigherHrnetPresets } from '@hrnet/heads';

/**
 * Every model name `hrnet` can build: the classifier variants (core's registry, built by heads'
 * `createClassifier`) and the HigherHRNet presets. The one place that asks the model packages what exists.
 */
export function listModelNames(filter?: string): string[] {
  return filterModelNames([...listModels(), ...listHigherHrnetPresets()], filter);
}
