export {
  registerNativeKernels,
  unregisterNativeKernels,
  nativeKernelsRegistered,
  nativeAvailable,
  nativeStatus,
  nativeKernelStats,
  resetNativeKernelStats,
  NATIVE_KERNEL_NAMES,
  type NativeStatus,
  type RegisterNativeOptions,
} from './register.js';
export { loadAddon, type LoadOptions, type NativeAddon } from './addon.js';
export { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './kernels/batchnorm.js';
