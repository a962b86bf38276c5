import type { ModelNameOrConfig } from '@hrnet/core';
import type { ModelFamily } from '../model-family.js';
import { createClassifier, type ClassifierOptions } from './create-classifier.js';
import { classifierPretrained } from './pretrained.js';
import { classifierInfo, listClassifierPresets } from './presets.js';

/** timm's HRNet classifiers; through `createModel`, `numClasses` defaults to 1000 as timm's pretrained cfg. */
export const classificationFamily: ModelFamily<Exclude<ModelNameOrConfig, string>, Partial<ClassifierOptions>> = {
  name: 'classification',
  presets: listClassifierPresets,
  info: classifierInfo,
  create: (nameOrConfig, opts = {}) => createClassifier(nameOrConfig, { ...opts, numClasses: opts.numClasses ?? 1000 }),
  pretrained: classifierPretrained,
};
